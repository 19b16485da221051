//! The tutorial's "Refactor using nn.Module": `Mnist_Logistic` holds its weights and bias as
//! `Parameter`s (registered by `#[derive(Module)]`), and `fit()` loops over the parameters.
//!
//! Run: `cargo run --release --example 03_module`
use firelight::datasets::{Mnist, mnist::data_dir};
use firelight::nn::{Module, Parameter, functional as F};
use firelight::{Tensor, no_grad};

#[derive(Module)]
struct MnistLogistic {
    weights: Parameter,
    bias: Parameter,
}

impl MnistLogistic {
    fn new() -> MnistLogistic {
        MnistLogistic {
            weights: Parameter::new(Tensor::randn(&[784, 10]) / 784f32.sqrt()),
            bias: Parameter::new(Tensor::zeros(&[10])),
        }
    }
}

impl Module for MnistLogistic {
    fn forward(&self, xb: &Tensor) -> Tensor {
        xb.matmul(&self.weights) + &*self.bias
    }
}

fn fit(
    model: &MnistLogistic,
    x_train: &Tensor,
    y_train: &Tensor,
    epochs: usize,
    bs: usize,
    lr: f64,
) {
    let n = x_train.shape()[0];
    for _epoch in 0..epochs {
        for i in 0..(n - 1) / bs + 1 {
            let xb = x_train.slice(0, i * bs..i * bs + bs);
            let yb = y_train.slice(0, i * bs..i * bs + bs);
            let loss = F::cross_entropy(&model.forward(&xb), &yb);
            loss.backward();
            let _g = no_grad();
            for p in model.parameters() {
                p.sub_(p.grad().unwrap() * lr);
            }
            model.zero_grad();
        }
    }
}

fn main() -> firelight::Result<()> {
    firelight::manual_seed(0);
    let mnist = Mnist::load(data_dir())?;
    let model = MnistLogistic::new();
    let (xb, yb) = (mnist.x_train.slice(0, 0..64), mnist.y_train.slice(0, 0..64));
    println!("{}", F::cross_entropy(&model.forward(&xb), &yb));
    fit(&model, &mnist.x_train, &mnist.y_train, 2, 64, 0.5);
    let (xb, yb) = (
        mnist.x_train.slice(0, 49984..),
        mnist.y_train.slice(0, 49984..),
    );
    println!("{}", F::cross_entropy(&model.forward(&xb), &yb));
    Ok(())
}
