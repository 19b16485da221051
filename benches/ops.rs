//! Per-op cost in microseconds per call, for the engine's small-op overhead.
//!
//! Run: `cargo bench --bench ops` (add `-- --json` for machine-readable output).
//! The PyTorch side of the comparison is `tools/bench_ops_torch.py`.
mod common;

use common::{json_rows, time_us};
use firelight::Tensor;
use std::hint::black_box;

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    firelight::manual_seed(0);
    let a = Tensor::randn(&[10]).requires_grad_(true);
    let b = Tensor::randn(&[10]).requires_grad_(true);
    let xb = Tensor::rand(&[64, 784]);
    let w = (Tensor::randn(&[784, 10]) / 784f32.sqrt()).requires_grad_(true);
    let bias = Tensor::zeros(&[10]).requires_grad_(true);

    let results = [
        (
            "add (10,)+(10,) with autograd",
            time_us(15, 20_000, || {
                black_box(&a + &b);
            }),
        ),
        ("add (10,)+(10,) under no_grad", {
            let _g = firelight::no_grad();
            time_us(15, 20_000, || {
                black_box(&a + &b);
            })
        }),
        (
            "linear xb.matmul(&w) + &b (64,784)x(784,10)",
            time_us(15, 2_000, || {
                black_box(xb.matmul(&w) + &bias);
            }),
        ),
        (
            "linear forward+backward (64,784)x(784,10), mean",
            time_us(15, 1_000, || {
                let loss = (xb.matmul(&w) + &bias).mean(..);
                loss.backward();
            }),
        ),
    ];
    if json {
        println!("{}", json_rows(&results, "op", "us_per_call"));
    } else {
        println!("threads: {}", firelight::get_num_threads());
        for (name, us) in results {
            println!("{us:>10.3} us/call  {name}");
        }
    }
}
