//! firelight: PyTorch's model of work in Rust.
//!
//! Tensors with autograd, `nn`, `optim`, `data` (datasets and loaders) and MNIST loading,
//! following PyTorch's tutorial "What is torch.nn really?".
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
