//! firelight: PyTorch's model of work in Rust.
//!
//! Tensors with autograd, `nn`, `optim`, `data` (datasets and loaders) and MNIST loading,
//! following PyTorch's tutorial "What is torch.nn really?", on the CPU or (with the `gpu`
//! feature) a GPU.
//!
//! ```
//! use firelight::Tensor;
//! let w = (Tensor::randn(&[784, 10]) / 784f32.sqrt()).requires_grad_(true);
//! let b = Tensor::zeros(&[10]).requires_grad_(true);
//! let xb = Tensor::rand(&[64, 784]);
//! let loss = (xb.matmul(&w) + &b).relu().mean(..);
//! loss.backward();
//! assert_eq!(w.grad().unwrap().shape(), &[784, 10]);
//! ```
//!
//! # Where to start
//!
//! - **The guide**, `docs/guide.md` in the repository, walks through the tutorial in
//!   fourteen steps, from tensors by hand to the GPU and the `firelight` command; each step
//!   is an example in `examples/` (`cargo run --release --example 10_cnn`).
//! - **A model** is a struct with `#[derive(Module)]` (it registers the fields, see
//!   [`nn::Visit`]) and `impl` [`nn::Module`] `for Net { fn forward(..) }`; or an
//!   [`nn::Sequential`] of layers.
//! - **Data** goes through [`data::TensorDataset`] and [`data::DataLoader`]
//!   (`DataLoader::new(ds).batch_size(64).shuffle(true)`); MNIST loads with
//!   [`datasets::Mnist::load`].
//! - **Training** uses [`optim::Sgd`], [`optim::Adam`] or [`optim::AdamW`] and
//!   [`nn::functional`] (`use firelight::nn::functional as F;`).
//! - **Options** are always PyTorch's defaults plus setters named as its keywords:
//!   `nn::Conv2d::new(1, 16, 3).stride(2)`, `F::conv2d_with(x, w, None,
//!   F::Conv2dOptions::new().stride(2))` (see [`nn::functional`]).
//!
//! # PyTorch → firelight
//!
//! The names a PyTorch user is most likely to guess wrong:
//!
//! | PyTorch | firelight |
//! |---|---|
//! | `torch.optim.SGD(params, lr=0.1, momentum=0.9)` | `optim::Sgd::new(params, 0.1).momentum(0.9)` |
//! | `w.grad` | `w.grad()` (an `Option<Tensor>`: `None` before the first backward) |
//! | `loss.item()` | `loss.item::<f32>()` |
//! | `x.sum()`, `x.sum(1)`, `x.argmax(dim=1)`, `x.max(1)` | `x.sum(..)`, `x.sum(1)`, `x.argmax(1)`, `x.max(1)` (values, indices) |
//! | `torch.tensor([1.0, 2.0])` | `Tensor::tensor([1.0, 2.0])` (float32, the default dtype) |
//! | `x.view(-1, 784)`, `xb @ w` | `x.view(&[-1, 784])`, `xb.matmul(&w)` |
//! | `torch.save(model.state_dict(), "m.pt")` | `model.state_dict().save("m.safetensors")?` |
//! | `model.load_state_dict(torch.load("m.pt"))` | `model.load_state_dict(&StateDict::load("m.safetensors")?)?` |
//! | `TensorDataset(x, y)`, `DataLoader(ds, 32, True)` | `TensorDataset::new(x, y)`, `DataLoader::new(ds).batch_size(32).shuffle(true)` |
//! | `model(x)` | `model.forward(&x)` |
//! | `class Net(nn.Module)` with layers assigned in `__init__` | `#[derive(Module)] struct Net { .. }` and `impl Module for Net { fn forward .. }` |
//! | `with torch.no_grad(): w -= w.grad * lr` | `{ let _g = no_grad(); w.sub_(w.grad().unwrap() * lr); }`, or `w -= ...` on a `let mut w` |
//! | `F.cross_entropy(out, y, label_smoothing=0.1)` | `F::cross_entropy_with(&out, &y, F::CrossEntropyOptions::new().label_smoothing(0.1))` |
//! | `input[range(n), target]` | `input.index(&[&Tensor::arange(n), &target])` |
//! | `torch.device("cuda" if torch.cuda.is_available() else "cpu")` | `Device::gpu_if_available()` |
//! | `torch.manual_seed(0)`, `torch.set_default_dtype(torch.float64)` | `firelight::manual_seed(0)`, `firelight::set_default_dtype(DType::F64)` |
//!
//! Misuse that is a bug in the program (shapes that do not fit, mixed dtypes or devices,
//! an index out of range) panics with PyTorch's wording, at your line; what touches the
//! outside world (files, devices) returns [`Result`].
#![warn(missing_docs)]
pub mod autograd;
mod backend;
pub mod data;
pub mod datasets;
mod device;
mod dtype;
pub mod error;
pub mod io;
mod layout;
pub mod nn;
pub mod optim;
mod tensor;

pub use autograd::{enable_grad, is_grad_enabled, no_grad};
pub use backend::threads::{get_num_threads, set_num_threads};
pub use device::Device;
pub use dtype::{DType, Element, Float, get_default_dtype, set_default_dtype};
pub use error::{Error, Result};
pub use layout::Shape;
pub use tensor::{
    Dim, Dims, Generator, Operand, PrintOptions, Scalar, Tensor, TensorData, get_printoptions,
    manual_seed, set_printoptions,
};
