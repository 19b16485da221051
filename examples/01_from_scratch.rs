//! The tutorial's "MNIST data setup" and "Neural net from scratch" sections, in firelight.
//!
//! Run: `cargo run --release --example 01_from_scratch`
//! (data from `$FIRELIGHT_DATA`, else `data/mnist`: `mnist.pkl.gz` or the four IDX files).
use firelight::datasets::{Mnist, mnist::data_dir};
use firelight::{Tensor, no_grad};

/// `x - log(sum(exp(x)))` along the last dim, written out by hand as the tutorial does.
fn log_softmax(x: &Tensor) -> Tensor {
    x - x.exp().sum(-1).log().unsqueeze(-1)
}

/// The negative log-likelihood: `-input[range(n), target].mean()`.
fn nll(input: &Tensor, target: &Tensor) -> Tensor {
    -input
        .index(&[&Tensor::arange(target.shape()[0] as i64), target])
        .mean(..)
}

/// The fraction of rows whose largest output is the target.
fn accuracy(out: &Tensor, yb: &Tensor) -> Tensor {
    let preds = out.argmax(1);
    preds.eq(yb).float().mean(..)
}

fn main() -> firelight::Result<()> {
    firelight::manual_seed(0);
    let mnist = Mnist::load(data_dir())?;
    let (x_train, y_train) = (&mnist.x_train, &mnist.y_train);
    let (n, c) = (x_train.shape()[0], x_train.shape()[1]);
    println!("{x_train} {y_train}");
    println!("{}", x_train.shape());
    println!("{} {}", y_train.min(..), y_train.max(..));
    assert_eq!(c, 784);

    // Xavier initialisation, then ask for gradients (the tutorial's order).
    let weights = Tensor::randn(&[784, 10]) / 784f32.sqrt();
    weights.requires_grad_(true);
    let bias = Tensor::zeros(&[10]).requires_grad_(true);
    let model = |xb: &Tensor| log_softmax(&(xb.matmul(&weights) + &bias));

    let bs = 64;
    let xb = x_train.slice(0, 0..bs);
    let preds = model(&xb);
    println!("{} {}", preds.select(0, 0), preds.shape());

    let loss_func = nll;
    let yb = y_train.slice(0, 0..bs);
    println!("{}", loss_func(&preds, &yb));
    println!("{}", accuracy(&preds, &yb));

    let lr = 0.5;
    let epochs = 2;
    let (mut xb, mut yb) = (xb, yb);
    for _epoch in 0..epochs {
        for i in 0..(n - 1) / bs + 1 {
            let (start_i, end_i) = (i * bs, i * bs + bs);
            xb = x_train.slice(0, start_i..end_i);
            yb = y_train.slice(0, start_i..end_i);
            let pred = model(&xb);
            let loss = loss_func(&pred, &yb);
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

    // Beyond the tutorial: how the trained model does on the 10,000 validation images.
    let _g = no_grad();
    let valid_acc = accuracy(&model(&mnist.x_valid), &mnist.y_valid).item::<f32>();
    println!("validation accuracy: {valid_acc:.4}");
    Ok(())
}
