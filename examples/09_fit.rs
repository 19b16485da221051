//! The tutorial's "Create fit() and get_data()": `loss_batch` computes one batch's loss
//! (and steps the optimizer when given one), `fit` trains and prints the validation loss
//! each epoch — weighted by batch size, since the last batch is shorter — and `get_data`
//! builds the two loaders.
//!
//! Run: `cargo run --release --example 09_fit`
use firelight::data::{DataLoader, TensorDataset};
use firelight::datasets::{Mnist, mnist::data_dir};
use firelight::nn::{Linear, Module, functional as F};
use firelight::optim::{Optimizer, Sgd};
use firelight::{Tensor, no_grad};

type LossFn = fn(&Tensor, &Tensor) -> Tensor;
type Loader = DataLoader<(Tensor, Tensor)>;

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

        model.eval();
        let _g = no_grad();
        let (losses, nums): (Vec<f32>, Vec<usize>) = valid_dl
            .iter()
            .map(|(xb, yb)| loss_batch(model, loss_func, &xb, &yb, None))
            .unzip();
        let total: f64 = losses
            .iter()
            .zip(&nums)
            .map(|(&l, &n)| l as f64 * n as f64)
            .sum();
        let val_loss = total / nums.iter().sum::<usize>() as f64;
        println!("{epoch} {val_loss}");
    }
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
    let (bs, lr, epochs) = (64, 0.5, 2);
    let train_ds = TensorDataset::new(mnist.x_train, mnist.y_train);
    let valid_ds = TensorDataset::new(mnist.x_valid, mnist.y_valid);
    let (train_dl, valid_dl) = get_data(train_ds, valid_ds, bs);
    let (model, mut opt) = get_model(lr);
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
