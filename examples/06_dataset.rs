//! The tutorial's "Refactor using Dataset": `TensorDataset` holds `x_train` and `y_train`
//! together, and one slice of it gives both halves of a minibatch.
//!
//! Run: `cargo run --release --example 06_dataset`
use firelight::Tensor;
use firelight::data::TensorDataset;
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
    let n = mnist.x_train.shape()[0];
    let train_ds = TensorDataset::new(mnist.x_train, mnist.y_train);
    let (model, mut opt) = get_model(0.5);
    let (bs, epochs) = (64, 2);
    let (mut xb, mut yb) = train_ds.slice(0..bs);
    for _epoch in 0..epochs {
        for i in 0..(n - 1) / bs + 1 {
            (xb, yb) = train_ds.slice(i * bs..i * bs + bs);
            let pred = model.forward(&xb);
            let loss = F::cross_entropy(&pred, &yb);
            loss.backward();
            opt.step();
            opt.zero_grad();
        }
    }
    println!("{}", F::cross_entropy(&model.forward(&xb), &yb));
    Ok(())
}
