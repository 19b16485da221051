//! `firelight bench`: the tutorial's workloads and a few ops, timed.
use std::time::Instant;

use firelight::Tensor;
use firelight::data::{DataLoader, TensorDataset};
use firelight::nn::{Conv2d, Linear, Module, functional as F};
use firelight::optim::{Optimizer, Sgd};
use serde::Serialize;

use crate::cli::BenchArgs;
use crate::dataset;
use crate::error::Result;
use crate::eval;
use crate::models;

#[derive(Serialize)]
struct ModelTimes {
    model: &'static str,
    train_examples: usize,
    /// The first epoch (it includes the first touch of every buffer).
    train_epoch_s: f64,
    /// The mean of the epochs after the first; `null` with `--epochs 1`.
    train_epoch_later_s: Option<f64>,
    valid_examples: usize,
    valid_pass_s: f64,
}

#[derive(Serialize)]
struct OpTime {
    op: &'static str,
    shape: &'static str,
    micros: f64,
}

#[derive(Serialize)]
struct Report {
    threads: usize,
    epochs: usize,
    models: Vec<ModelTimes>,
    cnn_inference_images_per_s: f64,
    cnn_latency_batch1_ms: f64,
    cnn_latency_batch64_ms: f64,
    ops: Vec<OpTime>,
}

pub fn run(a: BenchArgs) -> Result<()> {
    let loaded = dataset::load(a.data.as_deref(), a.json)?;
    let m = &loaded.mnist;
    let (x_train, y_train) = (
        dataset::head(&m.x_train, a.limit),
        dataset::head(&m.y_train, a.limit),
    );
    let (x_valid, y_valid) = (
        dataset::head(&m.x_valid, a.limit),
        dataset::head(&m.y_valid, a.limit),
    );
    if let Some(n) = a.threads {
        firelight::set_num_threads(n as usize);
    }
    let epochs = a.epochs as usize;
    let mut rows = Vec::new();
    // The tutorial's hyperparameters: logistic SGD lr 0.5; mlp and cnn SGD lr 0.1 momentum 0.9.
    for (name, lr, momentum) in [("logistic", 0.5, 0.0), ("mlp", 0.1, 0.9), ("cnn", 0.1, 0.9)] {
        if !a.json {
            eprintln!("timing {name} ...");
        }
        firelight::manual_seed(0);
        let model = models::build(name)?;
        let mut opt = Sgd::new(model.parameters(), lr).momentum(momentum);
        let train_dl = DataLoader::new(TensorDataset::new(x_train.clone(), y_train.clone()))
            .batch_size(64)
            .shuffle(true)
            .seed(0);
        let mut epoch_s = Vec::with_capacity(epochs);
        for _ in 0..epochs {
            model.train();
            let start = Instant::now();
            for (xb, yb) in &train_dl {
                F::cross_entropy(&model.forward(&xb), &yb).backward();
                opt.step();
                opt.zero_grad();
            }
            epoch_s.push(start.elapsed().as_secs_f64());
        }
        let later = &epoch_s[1..];
        let start = Instant::now();
        eval::evaluate(&model, &x_valid, &y_valid, 0, firelight::Device::Cpu);
        rows.push(ModelTimes {
            model: name,
            train_examples: x_train.shape()[0],
            train_epoch_s: epoch_s[0],
            train_epoch_later_s: (!later.is_empty())
                .then(|| later.iter().sum::<f64>() / later.len() as f64),
            valid_examples: x_valid.shape()[0],
            valid_pass_s: start.elapsed().as_secs_f64(),
        });
    }

    // Inference with a fresh CNN, in eval mode and without autograd: images/s at batch
    // 1000, and the latency of one call at batch 1 and 64.
    let cnn = models::build("cnn")?;
    cnn.eval();
    let n_valid = x_valid.shape()[0];
    let batch = x_valid.slice(0, 0..n_valid.min(1000));
    let (per_s, latency1, latency64) = {
        let _g = firelight::no_grad();
        let per_s = batch.shape()[0] as f64
            / time(|| {
                cnn.forward(&batch);
            });
        let latency = |b: usize| {
            let xb = x_valid.slice(0, 0..n_valid.min(b));
            time(|| {
                cnn.forward(&xb);
            }) * 1e3
        };
        (per_s, latency(1), latency(64))
    };
    let report = Report {
        threads: firelight::get_num_threads(),
        epochs,
        models: rows,
        cnn_inference_images_per_s: per_s,
        cnn_latency_batch1_ms: latency1,
        cnn_latency_batch64_ms: latency64,
        ops: ops(),
    };
    if a.json {
        println!("{}", serde_json::to_string(&report).expect("serialises"));
    } else {
        print_report(&report);
    }
    Ok(())
}

/// Median seconds of one call, over enough calls to take about a quarter of a second.
fn time(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    f();
    let once = start.elapsed().as_secs_f64().max(1e-7);
    let reps = ((0.25 / once) as usize).clamp(3, 1000);
    let mut samples: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[reps / 2]
}

fn ops() -> Vec<OpTime> {
    let a = Tensor::randn(&[1000, 1000]).requires_grad_(true);
    let b = Tensor::randn(&[1000, 1000]);
    let xb = Tensor::rand(&[64, 784]);
    let lin = Linear::new(784, 10);
    let x_img = Tensor::rand(&[64, 1, 28, 28]);
    let conv1 = Conv2d::new(1, 16, 3).stride(2).padding(1);
    let x_mid = Tensor::rand(&[64, 16, 14, 14]);
    let conv2 = Conv2d::new(16, 16, 3).stride(2).padding(1);
    let w = Tensor::randn(&[784, 128]);
    let x1000 = Tensor::rand(&[1000, 784]);
    let logits = Tensor::randn(&[64, 10]).requires_grad_(true);
    let target = Tensor::from_vec((0..64i64).map(|i| i % 10).collect(), &[64]);
    let mut out = Vec::new();
    let mut add = |op, shape, f: &mut dyn FnMut()| {
        out.push(OpTime {
            op,
            shape,
            micros: time(f) * 1e6,
        })
    };
    add("add + sum + backward", "[1000,1000]", &mut || {
        (&a + &b).sum(..).backward();
        a.set_grad(None);
    });
    add("matmul", "[1000,784]x[784,128]", &mut || {
        x1000.matmul(&w);
    });
    add("linear forward", "[64,784] -> 10", &mut || {
        lin.forward(&xb);
    });
    add("conv2d forward 1->16 k3 s2", "[64,1,28,28]", &mut || {
        conv1.forward(&x_img);
    });
    add("conv2d forward 16->16 k3 s2", "[64,16,14,14]", &mut || {
        conv2.forward(&x_mid);
    });
    add("conv2d fwd+bwd 16->16 k3 s2", "[64,16,14,14]", &mut || {
        conv2.forward(&x_mid).sum(..).backward();
        conv2.zero_grad();
    });
    add("cross_entropy fwd+bwd", "[64,10]", &mut || {
        F::cross_entropy(&logits, &target).backward();
        logits.set_grad(None);
    });
    out
}

fn print_report(r: &Report) {
    println!("threads: {}   epochs: {}", r.threads, r.epochs);
    println!();
    println!(
        "{:<9} {:>9} {:>13} {:>15} {:>9} {:>13}",
        "model", "train n", "1st epoch s", "mean later s", "valid n", "valid pass s"
    );
    for m in &r.models {
        let later = match m.train_epoch_later_s {
            Some(s) => format!("{s:.3}"),
            None => "-".to_string(),
        };
        println!(
            "{:<9} {:>9} {:>13.3} {:>15} {:>9} {:>13.3}",
            m.model, m.train_examples, m.train_epoch_s, later, m.valid_examples, m.valid_pass_s
        );
    }
    println!();
    println!(
        "cnn inference, batch 1000: {:.0} images/s; latency batch 1: {:.3} ms, batch 64: {:.3} ms",
        r.cnn_inference_images_per_s, r.cnn_latency_batch1_ms, r.cnn_latency_batch64_ms
    );
    println!();
    println!("{:<30} {:<22} {:>10}", "op", "shape", "µs");
    for o in &r.ops {
        println!("{:<30} {:<22} {:>10.1}", o.op, o.shape, o.micros);
    }
}
