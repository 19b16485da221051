//! The tutorial's "Refactor using nn.Linear": the model is one `nn::Linear` layer, which
//! initialises its own weight and bias the way PyTorch does.
//!
//! Run: `cargo run --release --example 04_linear`
use firelight::datasets::{Mnist, mnist::data_dir};
use firelight::nn::{Linear, Module, functional as F};
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
    let (x_train, y_train) = (&mnist.x_train, &mnist.y_train);
    let model = MnistLogistic {
        lin: Linear::new(784, 10),
    };
    let (bs, lr, epochs, n) = (64, 0.5, 2, x_train.shape()[0]);
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
            F::cross_entropy(&model.forward(&xb), &yb).backward();
            let _g = no_grad();
            for p in model.parameters() {
                p.sub_(p.grad().unwrap() * lr);
            }
            model.zero_grad();
        }
    }
    let (xb, yb) = (x_train.slice(0, 49984..), y_train.slice(0, 49984..));
    println!("{}", F::cross_entropy(&model.forward(&xb), &yb));
    Ok(())
}
