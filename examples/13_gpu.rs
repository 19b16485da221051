//! The tutorial's last chapter, "Using your GPU": pick the device (`cuda` if available,
//! else the CPU; here a wgpu GPU), move the model to it with `.to(&dev)`, and move every
//! batch in the loader's `.map` (the tutorial's `preprocess`). The training code itself
//! does not change.
//!
//! Run: `cargo run --release --features gpu --example 13_gpu`
//! (`-- --device cpu` trains the same seeded run on the CPU, for comparison;
//! `-- --batches N` stops each epoch after N batches, for a quick check on a slow device).
use firelight::data::{DataLoader, TensorDataset};
use firelight::datasets::{Mnist, mnist::data_dir};
use firelight::nn::{AdaptiveAvgPool2d, Conv2d, Lambda, Module, ReLU, Sequential, functional as F};
use firelight::optim::{Optimizer, Sgd};
use firelight::{Device, Tensor, no_grad};
use std::time::Instant;

type Loader = DataLoader<(Tensor, Tensor)>;

/// The tutorial's `dev = torch.device("cuda") if torch.cuda.is_available() else
/// torch.device("cpu")`, saying in one line why it is the CPU when it is.
fn pick_device(asked: Option<&str>) -> Device {
    match asked {
        Some("cpu") => Device::Cpu,
        _ => match Device::gpu(0) {
            Ok(dev) => dev,
            Err(e) => {
                println!("no GPU, training on the CPU: {e}");
                Device::Cpu
            }
        },
    }
}

fn preprocess((x, y): (Tensor, Tensor), dev: &Device) -> (Tensor, Tensor) {
    (x.view(&[-1, 1, 28, 28]).to(dev), y.to(dev))
}

fn get_data(m: Mnist, bs: usize, dev: Device) -> (Loader, Loader) {
    let train_ds = TensorDataset::new(m.x_train, m.y_train);
    let valid_ds = TensorDataset::new(m.x_valid, m.y_valid);
    (
        DataLoader::new(train_ds)
            .batch_size(bs)
            .shuffle(true)
            .map(move |b| preprocess(b, &dev)),
        DataLoader::new(valid_ds)
            .batch_size(bs * 2)
            .map(move |b| preprocess(b, &dev)),
    )
}

fn main() -> firelight::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    let max_batches: usize = match flag("--batches") {
        Some(n) => n
            .parse()
            .map_err(|_| firelight::Error::msg(format!("--batches: not a count: {n:?}")))?,
        None => usize::MAX,
    };
    let dev = pick_device(flag("--device"));
    println!("device: {dev}");

    firelight::manual_seed(0);
    let (train_dl, valid_dl) = get_data(Mnist::load(data_dir())?, 64, dev);
    let model = Sequential::new()
        .add(Conv2d::new(1, 16, 3).stride(2).padding(1))
        .add(ReLU)
        .add(Conv2d::new(16, 16, 3).stride(2).padding(1))
        .add(ReLU)
        .add(Conv2d::new(16, 10, 3).stride(2).padding(1))
        .add(ReLU)
        .add(AdaptiveAvgPool2d::new(1))
        .add(Lambda::new(|x: &Tensor| x.view(&[x.size(0) as i64, -1])))
        .to(&dev);
    let mut opt = Sgd::new(model.parameters(), 0.1).momentum(0.9);

    for epoch in 0..2 {
        let start = Instant::now();
        model.train();
        for (xb, yb) in train_dl.iter().take(max_batches) {
            F::cross_entropy(&model.forward(&xb), &yb).backward();
            opt.step();
            opt.zero_grad();
        }
        model.eval();
        let _g = no_grad();
        let (mut loss, mut correct, mut n) = (0.0, 0.0, 0);
        for (xb, yb) in valid_dl.iter().take(max_batches) {
            let out = model.forward(&xb);
            let bs = yb.shape()[0];
            loss += F::cross_entropy(&out, &yb).item::<f64>() * bs as f64;
            correct += out.argmax(1).eq(&yb).float().sum(..).item::<f64>();
            n += bs;
        }
        println!(
            "{epoch} {:.6} (valid accuracy {:.4}, {:.1} s)",
            loss / n as f64,
            correct / n as f64,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
