//! One epoch of `DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)`
//! with no model: the cost the loader adds to each training epoch, in milliseconds.
//!
//! Run: `cargo bench --bench dataloader` (add `-- --json` for machine-readable output).
//! Uses MNIST from `$FIRELIGHT_DATA` (else `data/mnist`) when present, else random tensors
//! of the same shapes and dtypes (the cost does not depend on the values).
//! The PyTorch side of the comparison is `tools/bench_dataloader_torch.py`.
mod common;

use common::{json_rows, time_us};
use firelight::Tensor;
use firelight::data::{DataLoader, TensorDataset};
use firelight::datasets::{Mnist, mnist::data_dir};
use std::hint::black_box;

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    firelight::manual_seed(0);
    let (x_train, y_train, source) = match Mnist::load(data_dir()) {
        Ok(m) => (m.x_train, m.y_train, "MNIST"),
        Err(_) => (
            Tensor::rand(&[50_000, 784]),
            Tensor::randint(0, 10, &[50_000]),
            "random stand-in for MNIST",
        ),
    };
    let loader = |shuffle: bool, workers: usize| {
        DataLoader::new(TensorDataset::new(x_train.clone(), y_train.clone()))
            .batch_size(64)
            .shuffle(shuffle)
            .num_workers(workers)
    };
    let epoch = |dl: &DataLoader<(Tensor, Tensor)>| {
        time_us(7, 1, || {
            for (xb, yb) in dl {
                black_box((xb, yb));
            }
        }) / 1e3
    };
    let results = [
        ("batch_size 64, shuffle", epoch(&loader(true, 0))),
        (
            "batch_size 64, shuffle, num_workers 2",
            epoch(&loader(true, 2)),
        ),
        (
            "batch_size 64, no shuffle (views)",
            epoch(&loader(false, 0)),
        ),
    ];
    if json {
        println!("{}", json_rows(&results, "loader", "ms_per_epoch"));
    } else {
        println!(
            "one epoch over {} {:?}, threads: {}",
            source,
            x_train.shape(),
            firelight::get_num_threads()
        );
        for (n, ms) in &results {
            println!("{ms:>10.2} ms  {n}");
        }
    }
}
