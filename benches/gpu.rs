//! The GPU device: what a small op costs the host (recording a launch, not running it),
//! a round trip to the device, matmul GFLOP/s, the tutorial convolutions' passes at batch
//! 64, and the tutorial CNN's training step, each next to the CPU where that is useful.
//!
//! Run: `cargo bench --features gpu --bench gpu` (add `-- --json`, and `-- --matmul N` for
//! the size of the square matmul, 1024 by default; 4096 on a real GPU). Times that
//! include the device wait for it once per call, with a one-element read-back.
mod common;

use common::{json_rows, time_us};
use firelight::nn::functional::{self as F, Conv2dOptions};
use firelight::nn::{AdaptiveAvgPool2d, Conv2d, Lambda, Module, ReLU, Sequential};
use firelight::optim::{Optimizer, Sgd};
use firelight::{Device, Tensor};

/// Waits for everything recorded on the tensor's device (a one-element read-back).
fn sync(t: &Tensor) {
    let _ = t.view(&[-1]).narrow(0, 0, 1).to_vec::<f32>();
}

fn cnn(dev: Device) -> Sequential {
    Sequential::new()
        .add(Conv2d::new(1, 16, 3).stride(2).padding(1))
        .add(ReLU)
        .add(Conv2d::new(16, 16, 3).stride(2).padding(1))
        .add(ReLU)
        .add(Conv2d::new(16, 10, 3).stride(2).padding(1))
        .add(ReLU)
        .add(AdaptiveAvgPool2d::new(1))
        .add(Lambda::new(|x: &Tensor| x.view(&[x.size(0) as i64, -1])))
        .to(&dev)
}

/// Milliseconds per training step of the tutorial CNN at batch 64, `steps` steps between
/// waits (the tutorial's loop never reads back inside an epoch).
fn cnn_step_ms(dev: Device, steps: usize) -> f64 {
    firelight::manual_seed(0);
    let model = cnn(dev);
    let mut opt = Sgd::new(model.parameters(), 0.1).momentum(0.9);
    let xb = (Tensor::rand(&[64, 1, 28, 28]).sub(0.6).clamp_min(0.0) * 2.5).to(&dev);
    let yb = Tensor::randint(0, 10, &[64]).to(&dev);
    let mut last = Tensor::zeros(&[1]);
    let us = time_us(5, steps, || {
        let loss = F::cross_entropy(&model.forward(&xb), &yb);
        loss.backward();
        opt.step();
        opt.zero_grad();
        last = loss;
    });
    sync(&last);
    us / 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let json = args.iter().any(|a| a == "--json");
    let n: usize = args
        .iter()
        .position(|a| a == "--matmul")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(1024);
    let dev = match Device::gpu(0) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("no GPU: {e}");
            std::process::exit(1);
        }
    };
    let mut results: Vec<(String, f64)> = Vec::new();

    // The host's part of one small op: recording it. A round records fewer launches than
    // a batch holds, so nothing is submitted while the clock runs (on a software driver the
    // device's work would otherwise share the CPU with the recording).
    let (a, b) = (Tensor::ones(&[10]).to(&dev), Tensor::ones(&[10]).to(&dev));
    sync(&(&a + &b));
    let mut out = a.clone();
    let rounds = 11;
    let iters = 400;
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = std::time::Instant::now();
            for _ in 0..iters {
                out = &a + &b;
            }
            let record = t.elapsed().as_secs_f64();
            sync(&out);
            record * 1e6 / iters as f64
        })
        .collect();
    samples.sort_by(|x, y| x.partial_cmp(y).unwrap());
    results.push(("small op (add [10]), host µs".into(), samples[rounds / 2]));
    results.push((
        "round trip (add [10] + item), µs".into(),
        time_us(11, 50, || {
            let _ = (&a + &b).sum(..).item::<f32>();
        }),
    ));

    let (x, y) = (
        Tensor::rand(&[n, n]).to(&dev),
        Tensor::rand(&[n, n]).to(&dev),
    );
    let us = time_us(3, 3, || sync(&x.matmul(&y)));
    results.push((
        format!("matmul {n}x{n}, GFLOP/s"),
        2.0 * (n as f64).powi(3) / us / 1e3,
    ));

    let convs = [
        ("conv1 1->16", [64, 1, 28, 28], [16, 1, 3, 3]),
        ("conv2 16->16", [64, 16, 14, 14], [16, 16, 3, 3]),
    ];
    let opts = Conv2dOptions::new().stride(2).padding(1);
    for (name, xs, ws) in convs {
        let x = Tensor::rand(&xs).to(&dev).requires_grad_(true);
        let w = Tensor::rand(&ws).to(&dev).requires_grad_(true);
        results.push((
            format!("{name} forward, µs"),
            time_us(5, 10, || sync(&F::conv2d_with(&x, &w, None, opts))),
        ));
        results.push((
            format!("{name} forward+backward, µs"),
            time_us(5, 10, || {
                F::conv2d_with(&x, &w, None, opts).sum(..).backward();
                sync(&w.grad().unwrap());
            }),
        ));
    }
    results.push((
        "tutorial CNN step, batch 64, ms (gpu)".into(),
        cnn_step_ms(dev, 20),
    ));
    results.push((
        "tutorial CNN step, batch 64, ms (cpu)".into(),
        cnn_step_ms(Device::Cpu, 20),
    ));

    if json {
        println!("{}", json_rows(&results, "name", "value"));
    } else {
        println!("device gpu:0");
        for (name, v) in &results {
            println!("{name:<45} {v:>12.2}");
        }
    }
}
