//! The tutorial's "Add validation": the training set is shuffled each epoch, the
//! validation set (batches twice as large: no gradients to keep) is not, and after each
//! epoch the mean validation loss is printed, computed in eval mode under `no_grad`.
//!
//! Run: `cargo run --release --example 08_validation`
use firelight::data::{DataLoader, TensorDataset};
use firelight::datasets::{Mnist, mnist::data_dir};
use firelight::nn::{Linear, Module, functional as F};
use firelight::optim::{Optimizer, Sgd};
use firelight::{Tensor, no_grad};

#[derive(Module)]
struct MnistLogistic {
    lin: Linear,
}

impl Module for MnistLogistic {
    fn forward(&self, xb: &Tensor) -> Tensor {
        self.lin.forward(xb)
    }
}

fn main() -> firelight::Result<()> {
    firelight::manual_seed(0);
    let mnist = Mnist::load(data_dir())?;
    let bs = 64;
    let train_ds = TensorDataset::new(mnist.x_train, mnist.y_train);
    let train_dl = DataLoader::new(train_ds).batch_size(bs).shuffle(true);
    let valid_ds = TensorDataset::new(mnist.x_valid, mnist.y_valid);
    let valid_dl = DataLoader::new(valid_ds).batch_size(bs * 2);

    let model = MnistLogistic {
        lin: Linear::new(784, 10),
    };
    let mut opt = Sgd::new(model.parameters(), 0.5);
    let epochs = 2;
    for epoch in 0..epochs {
        model.train();
        for (xb, yb) in &train_dl {
            let pred = model.forward(&xb);
            let loss = F::cross_entropy(&pred, &yb);
            loss.backward();
            opt.step();
            opt.zero_grad();
        }

        model.eval();
        let _g = no_grad();
        let valid_loss = valid_dl
            .iter()
            .map(|(xb, yb)| F::cross_entropy(&model.forward(&xb), &yb))
            .fold(Tensor::scalar(0f32), |sum, l| sum + l);
        println!("{epoch} {}", valid_loss / valid_dl.len() as f64);
    }
    Ok(())
}
