//! The tutorial CNN's convolutions at batch 64, in microseconds per call: the forward and
//! both backward passes of each conv, and one forward+backward of the whole stack.
//!
//! Run: `cargo bench --bench conv` (add `-- --json` for machine-readable output).
//! The PyTorch side of the comparison is `tools/bench_conv_torch.py`.
mod common;

use common::time_us;
use firelight::Tensor;
use firelight::nn::functional::{self as F, AvgPool2dOptions, Conv2dOptions};
use std::hint::black_box;

fn main() {
    let json = std::env::args().any(|a| a == "--json");
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
                black_box(F::conv2d(&x, w, Some(b), &o));
            })
        };
        results.push((format!("{name} forward"), fwd));
        // Weight (and bias) gradient only, as for the first conv.
        let y = F::conv2d(&x, w, Some(b), &o);
        let gy = Tensor::randn(y.shape());
        let wgrad = time_us(11, 200, || {
            y.backward_with(&gy, true);
        });
        results.push((format!("{name} backward weight+bias"), wgrad));
        // Input gradient only.
        let xg = x.detach().requires_grad_(true);
        let (wd, bd) = (w.detach(), b.detach());
        let y = F::conv2d(&xg, &wd, Some(&bd), &o);
        let igrad = time_us(11, 200, || {
            y.backward_with(&gy, true);
        });
        results.push((format!("{name} backward input"), igrad));
    }
    let x = Tensor::randn(&[64, 1, 28, 28]);
    let pool = AvgPool2dOptions::new(4);
    let step = time_us(11, 100, || {
        let mut h = x.clone();
        for (w, b) in &params {
            h = F::conv2d(&h, w, Some(b), &o).relu();
        }
        let loss = F::avg_pool2d(&h, &pool).mean();
        loss.backward();
    });
    results.push((
        "3 convs + relu + avg_pool2d(4) + mean, forward+backward".into(),
        step,
    ));
    if json {
        let items: Vec<String> = results
            .iter()
            .map(|(n, us)| format!("{{\"op\": \"{n}\", \"us_per_call\": {us:.3}}}"))
            .collect();
        println!("[{}]", items.join(", "));
    } else {
        println!("threads: {}", firelight::get_num_threads());
        for (n, us) in &results {
            println!("{us:>10.1} us  {n}");
        }
    }
}
