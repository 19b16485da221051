//! The tutorial's "Refactor using torch.optim": `get_model()` returns the model and an
//! `optim::Sgd`; the loop is `backward`, `opt.step()`, `opt.zero_grad()`.
//!
//! Run: `cargo run --release --example 05_optim`
use firelight::Tensor;
use firelight::datasets::{Mnist, mnist::data_dir};
use firelight::nn::{Linear, Module, functional as F};
use firelight::optim::{Optimizer, Sgd};

#[derive(Module)]
struct MnistLogistic {
    lin: Linear,
}

impl Module for MnistLogistic {
    fn forward(&self, xb: &Tensor) -> Tensor {
        self.lin.forward(xb)
    }
}

fn get_model(lr: f64) -> (MnistLogistic, Sgd) {
    let model = MnistLogistic {
        lin: Linear::new(784, 10),
    };
    let opt = Sgd::new(model.parameters(), lr);
    (model, opt)
}

fn main() -> firelight::Result<()> {
    firelight::manual_seed(0);
    let mnist = Mnist::load(data_dir())?;
    let (x_train, y_train) = (&mnist.x_train, &mnist.y_train);
    let (model, mut opt) = get_model(0.5);
    let (bs, epochs, n) = (64, 2, x_train.shape()[0]);
    println!(
        "{}",
        F::cross_entropy(
            &model.forward(&x_train.slice(0, 0..bs)),
            &y_train.slice(0, 0..bs)
        )
    );
    for _epoch in 0..epochs {
        for i in 0..(n - 1) / bs + 1 {
            let xb = x_train.slice(0, i * bs..i * bs + bs);
            let yb = y_train.slice(0, i * bs..i * bs + bs);
            let loss = F::cross_entropy(&model.forward(&xb), &yb);
            loss.backward();
            opt.step();
            opt.zero_grad();
        }
    }
    let (xb, yb) = (x_train.slice(0, 49984..), y_train.slice(0, 49984..));
    println!("{}", F::cross_entropy(&model.forward(&xb), &yb));
    Ok(())
}
