//! The tutorial CNN's convolutions at batch 64, in microseconds per call: the forward and
//! both backward passes of each conv, one forward+backward of the whole stack, and one
//! full training step of the tutorial's `Mnist_CNN` (forward, cross_entropy, backward,
//! SGD with momentum).
//!
//! Run: `cargo bench --bench conv` (add `-- --json` for machine-readable output, and
//! `-- --threads N` to set the thread count).
//! The PyTorch side of the comparison is `tools/bench_conv_torch.py`.
mod common;

use common::{json_rows, time_us};
use firelight::Tensor;
use firelight::nn::functional::{self as F, Conv2dOptions};
use firelight::nn::{Conv2d, Module};
use firelight::optim::{Optimizer, Sgd};
use std::hint::black_box;

/// The tutorial's `Mnist_CNN`, as in its "Switch to CNN" chapter.
#[derive(Module)]
struct MnistCnn {
    conv1: Conv2d,
    conv2: Conv2d,
    conv3: Conv2d,
}

impl Module for MnistCnn {
    fn forward(&self, xb: &Tensor) -> Tensor {
        let xb = xb.view(&[-1, 1, 28, 28]);
        let xb = self.conv1.forward(&xb).relu();
        let xb = self.conv2.forward(&xb).relu();
        let xb = self.conv3.forward(&xb).relu();
        let xb = F::avg_pool2d(&xb, 4);
        xb.view(&[-1, xb.shape()[1] as i64])
    }
}

/// One full training step at batch 64: what the tutorial's `fit` does per batch.
fn cnn_step_us() -> f64 {
    let model = MnistCnn {
        conv1: Conv2d::new(1, 16, 3).stride(2).padding(1),
        conv2: Conv2d::new(16, 16, 3).stride(2).padding(1),
        conv3: Conv2d::new(16, 10, 3).stride(2).padding(1),
    };
    let mut opt = Sgd::new(model.parameters(), 0.1).momentum(0.9);
    // MNIST-like input: mostly zero pixels, the rest in [0, 1).
    let xb = Tensor::rand(&[64, 784]).sub(0.6).clamp_min(0.0) * 2.5;
    let yb = Tensor::randint(0, 10, &[64]);
    time_us(11, 100, || {
        let loss = F::cross_entropy(&model.forward(&xb), &yb);
        loss.backward();
        opt.step();
        opt.zero_grad();
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let json = args.iter().any(|a| a == "--json");
    if let Some(i) = args.iter().position(|a| a == "--threads") {
        let n = args.get(i + 1).and_then(|n| n.parse().ok());
        firelight::set_num_threads(n.expect("--threads takes a number"));
    }
    firelight::manual_seed(0);
    let o = Conv2dOptions::new().stride(2).padding(1);
    // (input shape, weight shape) of the tutorial's three convs.
    let layers = [
        ([64, 1, 28, 28], [16, 1, 3, 3]),
        ([64, 16, 14, 14], [16, 16, 3, 3]),
        ([64, 16, 7, 7], [10, 16, 3, 3]),
    ];
    let params: Vec<(Tensor, Tensor)> = layers
        .iter()
        .map(|(_, w)| {
            let w = (Tensor::randn(w) / 12.0).requires_grad_(true);
            let b = Tensor::zeros(&[w.shape()[0]]).requires_grad_(true);
            (w, b)
        })
        .collect();
    let mut results: Vec<(String, f64)> = Vec::new();
    for (i, ((xs, _), (w, b))) in layers.iter().zip(&params).enumerate() {
        let x = Tensor::randn(xs);
        let name = format!("conv{} {:?}->{:?}", i + 1, xs, w.shape());
        let fwd = {
            let _g = firelight::no_grad();
            time_us(11, 200, || {
                black_box(F::conv2d_with(&x, w, Some(b), o));
            })
        };
        results.push((format!("{name} forward"), fwd));
        // Weight (and bias) gradient only, as for the first conv.
        let y = F::conv2d_with(&x, w, Some(b), o);
        let gy = Tensor::randn(y.shape());
        let wgrad = time_us(11, 200, || {
            y.backward_with(&gy, true);
        });
        results.push((format!("{name} backward weight+bias"), wgrad));
        // Input gradient only.
        let xg = x.detach().requires_grad_(true);
        let (wd, bd) = (w.detach(), b.detach());
        let y = F::conv2d_with(&xg, &wd, Some(&bd), o);
        let igrad = time_us(11, 200, || {
            y.backward_with(&gy, true);
        });
        results.push((format!("{name} backward input"), igrad));
    }
    let x = Tensor::randn(&[64, 1, 28, 28]);
    let pool = 4;
    let step = time_us(11, 100, || {
        let mut h = x.clone();
        for (w, b) in &params {
            h = F::conv2d_with(&h, w, Some(b), o).relu();
        }
        let loss = F::avg_pool2d(&h, pool).mean(..);
        loss.backward();
    });
    results.push((
        "3 convs + relu + avg_pool2d(4) + mean, forward+backward".into(),
        step,
    ));
    results.push((
        "tutorial CNN training step (forward, cross_entropy, backward, SGD momentum)".into(),
        cnn_step_us(),
    ));
    if json {
        println!("{}", json_rows(&results, "op", "us_per_call"));
    } else {
        println!("threads: {}", firelight::get_num_threads());
        for (n, us) in &results {
            println!("{us:>10.1} us  {n}");
        }
    }
}
