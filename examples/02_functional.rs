//! The tutorial's "Using torch.nn.functional": `F::cross_entropy` replaces the hand-written
//! `log_softmax` + `nll`, and the model is just `xb @ weights + bias`. Same loss, same accuracy.
//!
//! Run: `cargo run --release --example 02_functional`
use firelight::datasets::{Mnist, mnist::data_dir};
use firelight::nn::functional as F;
use firelight::{Tensor, no_grad};

fn accuracy(out: &Tensor, yb: &Tensor) -> Tensor {
    out.argmax(1).eq(yb).float().mean(..)
}

fn main() -> firelight::Result<()> {
    firelight::manual_seed(0);
    let mnist = Mnist::load(data_dir())?;
    let (x_train, y_train) = (&mnist.x_train, &mnist.y_train);
    let n = x_train.shape()[0];

    let weights = Tensor::randn(&[784, 10]) / 784f32.sqrt();
    weights.requires_grad_(true);
    let bias = Tensor::zeros(&[10]).requires_grad_(true);
    let model = |xb: &Tensor| xb.matmul(&weights) + &bias;
    let loss_func = F::cross_entropy;

    let (bs, lr, epochs) = (64, 0.5, 2);
    let (mut xb, mut yb) = (x_train.slice(0, 0..bs), y_train.slice(0, 0..bs));
    println!(
        "{} {}",
        loss_func(&model(&xb), &yb),
        accuracy(&model(&xb), &yb)
    );
    for _epoch in 0..epochs {
        for i in 0..(n - 1) / bs + 1 {
            xb = x_train.slice(0, i * bs..i * bs + bs);
            yb = y_train.slice(0, i * bs..i * bs + bs);
            let loss = loss_func(&model(&xb), &yb);
            loss.backward();
            let _g = no_grad();
            weights.sub_(weights.grad().unwrap() * lr);
            bias.sub_(bias.grad().unwrap() * lr);
            weights.grad().unwrap().zero_();
            bias.grad().unwrap().zero_();
        }
    }
    println!(
        "{} {}",
        loss_func(&model(&xb), &yb),
        accuracy(&model(&xb), &yb)
    );
    Ok(())
}
