//! The tutorial's "Using nn.Sequential": the same CNN as `10_cnn`, written as a
//! `Sequential` of layers, with `Lambda` for the reshapes that have no layer of their own.
//! Prints the epoch and the validation loss, as the tutorial does, and the accuracy.
//!
//! Run: `cargo run --release --example 11_sequential`
use firelight::data::{DataLoader, TensorDataset};
use firelight::datasets::{Mnist, mnist::data_dir};
use firelight::nn::{AvgPool2d, Conv2d, Lambda, Module, ReLU, Sequential, functional as F};
use firelight::optim::{Optimizer, Sgd};
use firelight::{Tensor, no_grad};

type LossFn = fn(&Tensor, &Tensor) -> Tensor;
type Loader = DataLoader<(Tensor, Tensor)>;

fn loss_batch(
    model: &dyn Module,
    loss_func: LossFn,
    xb: &Tensor,
    yb: &Tensor,
    opt: Option<&mut dyn Optimizer>,
) -> (f32, usize) {
    let loss = loss_func(&model.forward(xb), yb);
    if let Some(opt) = opt {
        loss.backward();
        opt.step();
        opt.zero_grad();
    }
    (loss.item::<f32>(), xb.shape()[0])
}

/// Validation loss (the mean over samples) and accuracy, in eval mode without gradients.
fn evaluate(model: &dyn Module, loss_func: LossFn, valid_dl: &Loader) -> (f64, f64) {
    model.eval();
    let _g = no_grad();
    let (mut loss_sum, mut correct, mut n) = (0.0, 0.0, 0);
    for (xb, yb) in valid_dl {
        let out = model.forward(&xb);
        let bs = xb.shape()[0];
        loss_sum += loss_func(&out, &yb).item::<f32>() as f64 * bs as f64;
        correct += out.argmax(1).eq(&yb).float().sum(..).item::<f32>() as f64;
        n += bs;
    }
    (loss_sum / n as f64, correct / n as f64)
}

fn fit(
    epochs: usize,
    model: &dyn Module,
    loss_func: LossFn,
    opt: &mut dyn Optimizer,
    train_dl: &Loader,
    valid_dl: &Loader,
) {
    for epoch in 0..epochs {
        model.train();
        for (xb, yb) in train_dl {
            loss_batch(model, loss_func, &xb, &yb, Some(&mut *opt));
        }
        let (val_loss, accuracy) = evaluate(model, loss_func, valid_dl);
        println!("{epoch} {val_loss:.6} (valid accuracy {accuracy:.4})");
    }
}

fn preprocess(x: &Tensor) -> Tensor {
    x.view(&[-1, 1, 28, 28])
}

fn get_data(
    train_ds: TensorDataset<(Tensor, Tensor)>,
    valid_ds: TensorDataset<(Tensor, Tensor)>,
    bs: usize,
) -> (Loader, Loader) {
    (
        DataLoader::new(train_ds).batch_size(bs).shuffle(true),
        DataLoader::new(valid_ds).batch_size(bs * 2),
    )
}

fn main() -> firelight::Result<()> {
    firelight::manual_seed(0);
    let mnist = Mnist::load(data_dir())?;
    let (bs, lr, epochs) = (64, 0.1, 2);
    let train_ds = TensorDataset::new(mnist.x_train, mnist.y_train);
    let valid_ds = TensorDataset::new(mnist.x_valid, mnist.y_valid);
    let (train_dl, valid_dl) = get_data(train_ds, valid_ds, bs);
    let model = Sequential::new()
        .add(Lambda::new(preprocess))
        .add(Conv2d::new(1, 16, 3).stride(2).padding(1))
        .add(ReLU)
        .add(Conv2d::new(16, 16, 3).stride(2).padding(1))
        .add(ReLU)
        .add(Conv2d::new(16, 10, 3).stride(2).padding(1))
        .add(ReLU)
        .add(AvgPool2d::new(4))
        .add(Lambda::new(|x: &Tensor| x.view(&[x.size(0) as i64, -1])));
    let mut opt = Sgd::new(model.parameters(), lr).momentum(0.9);
    fit(
        epochs,
        &model,
        F::cross_entropy,
        &mut opt,
        &train_dl,
        &valid_dl,
    );
    Ok(())
}
