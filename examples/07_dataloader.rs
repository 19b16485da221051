//! The tutorial's "Refactor using DataLoader": the loader hands out the minibatches, so
//! the loop is `for (xb, yb) in &train_dl`.
//!
//! Run: `cargo run --release --example 07_dataloader`
use firelight::Tensor;
use firelight::data::{DataLoader, TensorDataset};
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
    let bs = 64;
    let train_ds = TensorDataset::new(mnist.x_train, mnist.y_train);
    let train_dl = DataLoader::new(train_ds).batch_size(bs);
    let (model, mut opt) = get_model(0.5);
    let epochs = 2;
    let mut last = None;
    for _epoch in 0..epochs {
        for (xb, yb) in &train_dl {
            let pred = model.forward(&xb);
            let loss = F::cross_entropy(&pred, &yb);
            loss.backward();
            opt.step();
            opt.zero_grad();
            last = Some((xb, yb));
        }
    }
    let (xb, yb) = last.expect("the loader yields batches");
    println!("{}", F::cross_entropy(&model.forward(&xb), &yb));
    Ok(())
}
