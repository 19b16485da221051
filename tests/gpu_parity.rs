//! The GPU backend against the CPU one: every primitive and every differentiable op,
//! outputs and gradients, over awkward shapes (sizes off the workgroup multiples,
//! transposed, narrowed and broadcast views, size-0 and size-1 dims).
//!
//! Runs with `--features gpu`. Without an adapter the tests say so and pass, unless
//! `FIRELIGHT_REQUIRE_GPU=1` (as CI sets it), which makes a missing adapter a failure.
//!
//! Tolerance in f32: 1e-5 of each value plus 1e-5 of the tensor's largest value. The GPU
//! adds in another order than the CPU (tiles, trees), and a sum's rounding error scales
//! with its terms, not its result, so a sum that cancels to near zero can only be held
//! to the size of what it summed; the GPU's exp, log and tanh are also allowed a few ulp
//! by the Vulkan spec. Integer, comparison, index, max/min and copy results are exact.
#![cfg(feature = "gpu")]

use firelight::nn::functional::{self as F, Conv2dOptions, CrossEntropyOptions, NllLossOptions};
use firelight::nn::functional::{AvgPool2dOptions, MaxPool2dOptions};
use firelight::{DType, Device, Tensor, no_grad};

fn gpu() -> Option<Device> {
    match Device::gpu(0) {
        Ok(d) => Some(d),
        Err(e) if std::env::var("FIRELIGHT_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("FIRELIGHT_REQUIRE_GPU=1 but no GPU: {e}")
        }
        Err(e) => {
            eprintln!("skipping: {e}");
            None
        }
    }
}

const RTOL: f64 = 1e-5;

/// Asserts `g` (from the GPU) matches `c` (from the CPU): shape, dtype, device, values.
fn close(what: &str, c: &Tensor, g: &Tensor) {
    assert_eq!(c.shape(), g.shape(), "{what}: shapes");
    assert_eq!(c.dtype(), g.dtype(), "{what}: dtypes");
    assert!(g.device().is_gpu(), "{what}: result left the GPU");
    let (cv, gv) = (c.to_vec::<f64>(), g.to_vec::<f64>());
    let exact = c.dtype() != DType::F32;
    let scale = cv
        .iter()
        .filter(|v| v.is_finite())
        .fold(0f64, |m, v| m.max(v.abs()));
    for (i, (&a, &b)) in cv.iter().zip(&gv).enumerate() {
        let ok = if a.is_nan() || b.is_nan() {
            a.is_nan() && b.is_nan()
        } else if exact || a.is_infinite() {
            a == b
        } else {
            (a - b).abs() <= RTOL * (a.abs() + scale)
        };
        assert!(ok, "{what}: element {i}: cpu {a} vs gpu {b}");
    }
}

/// Deterministic awkward values: a mix of signs and magnitudes, with exact ties.
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut g = firelight::Generator::new(seed);
    (0..n)
        .map(|i| {
            let u = g.uniform_f32();
            if i % 7 == 3 {
                0.5 // ties for max/argmax
            } else {
                (u - 0.45) * 4.0
            }
        })
        .collect()
}

fn t(shape: &[usize], seed: u64) -> Tensor {
    Tensor::from_vec(values(shape.iter().product(), seed), shape)
}

/// Views worth testing of a `[5, 67]` tensor: whole, transposed, narrowed, a column, and
/// a broadcast row.
fn views(x: &Tensor) -> Vec<(&'static str, Tensor)> {
    vec![
        ("whole", x.clone()),
        ("transposed", x.t()),
        ("narrowed", x.narrow(1, 3, 61)),
        ("column", x.select(1, 2)),
        ("broadcast", x.select(0, 1).unsqueeze(0).expand(&[4, 67])),
    ]
}

#[test]
fn unary_ops_match_on_views_and_empty_tensors() {
    let Some(dev) = gpu() else { return };
    let x = t(&[5, 67], 1);
    let ops: Vec<(&str, fn(&Tensor) -> Tensor)> = vec![
        ("neg", |x| x.neg()),
        ("abs", |x| x.abs()),
        ("exp", |x| x.exp()),
        ("log", |x| x.abs().log()),
        ("sqrt", |x| x.abs().sqrt()),
        ("relu", |x| x.relu()),
        ("sigmoid", |x| x.sigmoid()),
        ("tanh", |x| x.tanh()),
        ("erf", |x| x.erf()),
        ("pow 2", |x| x.pow(2.0)),
        ("pow 3", |x| x.pow(3.0)),
        ("pow -0.5", |x| x.abs().pow(-0.5)),
        ("clamp", |x| x.clamp(-0.5, 0.75)),
        ("clamp_min", |x| x.clamp_min(0.1)),
        ("sign", |x| x.sign()),
    ];
    for (vname, v) in views(&x) {
        let vg = v.to(&dev);
        for (name, f) in &ops {
            close(&format!("{name} of {vname}"), &f(&v), &f(&vg));
        }
    }
    let empty = Tensor::zeros(&[0, 3]);
    close("exp of [0, 3]", &empty.exp(), &empty.to(&dev).exp());
    let one = Tensor::from_vec(vec![-2.5f32], &[1, 1]);
    close("abs of [1, 1]", &one.abs(), &one.to(&dev).abs());
    let ints = Tensor::from_vec(vec![-3i64, 0, 7, i64::MIN + 1, 1 << 40], &[5]);
    let ig = ints.to(&dev);
    close("neg i64", &ints.neg(), &ig.neg());
    close("abs i64", &ints.abs(), &ig.abs());
    close("clamp i64", &ints.clamp(-2.0, 5.0), &ig.clamp(-2.0, 5.0));
    close("pow i64", &ints.pow(3.0), &ig.pow(3.0));
    let bytes = Tensor::from_vec(vec![0u8, 1, 200, 255], &[4]);
    close("neg u8", &bytes.neg(), &bytes.to(&dev).neg());
}

#[test]
fn binary_ops_broadcast_and_promote_like_the_cpu() {
    let Some(dev) = gpu() else { return };
    let pairs = [
        (t(&[3, 1, 5], 2), t(&[4, 1], 3)),
        (t(&[67], 4), t(&[1], 5)),
        (t(&[5, 67], 6).t(), t(&[67, 5], 7)),
        (t(&[0, 4], 8), t(&[4], 9)),
    ];
    for (i, (a, b)) in pairs.iter().enumerate() {
        let (ag, bg) = (a.to(&dev), b.to(&dev));
        close(&format!("add {i}"), &(a + b), &(&ag + &bg));
        close(&format!("sub {i}"), &(a - b), &(&ag - &bg));
        close(&format!("mul {i}"), &(a * b), &(&ag * &bg));
        close(&format!("div {i}"), &(a / b), &(&ag / &bg));
        close(&format!("pow {i}"), &a.pow(b), &ag.pow(&bg));
        close(&format!("maximum {i}"), &a.maximum(b), &ag.maximum(&bg));
        close(&format!("minimum {i}"), &a.minimum(b), &ag.minimum(&bg));
        close(&format!("eq {i}"), &a.eq(b), &ag.eq(&bg));
        close(&format!("lt {i}"), &a.lt(b), &ag.lt(&bg));
        close(&format!("ge {i}"), &a.ge(b), &ag.ge(&bg));
        close(
            &format!("where {i}"),
            &Tensor::where_(&a.gt(b), a, b),
            &Tensor::where_(&ag.gt(&bg), &ag, &bg),
        );
    }
    let x = t(&[5, 67], 10);
    let xg = x.to(&dev);
    close("scalar add", &(&x + 2.5), &(&xg + 2.5));
    close("scalar rsub", &(1.0 - &x), &(1.0 - &xg));
    let i = Tensor::arange(12).view(&[3, 4]);
    let ig = i.to(&dev);
    close(
        "i64 mul",
        &(&i * &i.t().contiguous().view(&[3, 4])),
        &(&ig * &ig.t().contiguous().view(&[3, 4])),
    );
    close("i64 / i64 is float", &(&i / 4), &(&ig / 4));
    close("i64 + f32 promotes", &(&i + 0.5), &(&ig + 0.5));
    close("i64 ne", &i.ne(5), &ig.ne(5));
    let m = x.gt(0.0);
    let mg = xg.gt(0.0);
    close("bool and", &(&m * &x.lt(1.0)), &(&mg * &xg.lt(1.0)));
    close(
        "masked_fill",
        &x.masked_fill(&m, -1.0),
        &xg.masked_fill(&mg, -1.0),
    );
    let nan = Tensor::from_vec(vec![f32::NAN, 1.0, f32::NEG_INFINITY, 0.0], &[4]);
    let other = Tensor::from_vec(vec![1.0f32, f32::NAN, 3.0, -0.0], &[4]);
    let (ng, og) = (nan.to(&dev), other.to(&dev));
    close("maximum with NaN", &nan.maximum(&other), &ng.maximum(&og));
    close("eq with NaN", &nan.eq(&other), &ng.eq(&og));
}

#[test]
fn casts_fills_copies_and_in_place_ops() {
    let Some(dev) = gpu() else { return };
    let x = Tensor::from_vec(
        vec![-2.7f32, -0.5, 0.0, 0.4, 1.0, 255.9, 300.2, -1e10],
        &[8],
    );
    let xg = x.to(&dev);
    for d in [DType::I64, DType::U8, DType::Bool, DType::F32] {
        let c = x.to_dtype(d);
        let g = xg.to_dtype(d);
        close(&format!("f32 to {d}"), &c, &g);
        for d2 in [DType::F32, DType::I64, DType::U8, DType::Bool] {
            close(&format!("{d} to {d2}"), &c.to_dtype(d2), &g.to_dtype(d2));
        }
    }
    for d in [DType::F32, DType::I64, DType::U8, DType::Bool] {
        let c = Tensor::full_with(&[3, 5], 3.0, d, Device::Cpu);
        close(
            &format!("full {d}"),
            &c,
            &Tensor::full_with(&[3, 5], 3.0, d, dev),
        );
    }
    let m = t(&[5, 67], 11);
    let mg = m.to(&dev);
    close(
        "contiguous of transpose",
        &m.t().contiguous(),
        &mg.t().contiguous(),
    );
    close(
        "permute",
        &m.view(&[5, 1, 67]).permute(&[2, 0, 1]).contiguous(),
        &mg.view(&[5, 1, 67]).permute(&[2, 0, 1]).contiguous(),
    );
    close(
        "cat",
        &Tensor::cat(&[&m, &m.narrow(0, 1, 2)], 0),
        &Tensor::cat(&[&mg, &mg.narrow(0, 1, 2)], 0),
    );
    // In place through a strided view: only the view's elements change.
    let (c, g) = (m.deep_clone(), mg.deep_clone());
    {
        let _ng = no_grad();
        c.t().narrow(0, 2, 30).add_(1.5);
        g.t().narrow(0, 2, 30).add_(1.5);
        c.narrow(1, 0, 10).mul_(m.narrow(1, 5, 10));
        g.narrow(1, 0, 10).mul_(mg.narrow(1, 5, 10));
        c.select(0, 4).copy_(&m.select(0, 0));
        g.select(0, 4).copy_(&mg.select(0, 0));
        c.narrow(0, 0, 1).zero_();
        g.narrow(0, 0, 1).zero_();
    }
    close("in-place ops on views", &c, &g);
    // copy_ across devices, both ways, as PyTorch allows.
    let host = Tensor::zeros(&[5, 67]);
    host.copy_(&mg);
    assert_eq!(host.to_vec::<f32>(), m.to_vec::<f32>());
    let dst = Tensor::zeros(&[5, 67]).to(&dev);
    dst.copy_(&m.double());
    assert_eq!(dst.to_vec::<f32>(), m.to_vec::<f32>());
}

#[test]
fn reductions_match_with_ties_nans_and_long_rows() {
    let Some(dev) = gpu() else { return };
    let x = t(&[6, 5, 67], 12);
    let xg = x.to(&dev);
    for dims in [vec![0i64], vec![1], vec![2], vec![0, 2], vec![0, 1, 2]] {
        close(
            &format!("sum {dims:?}"),
            &x.sum(dims.as_slice()),
            &xg.sum(dims.as_slice()),
        );
    }
    close("mean keepdim", &x.mean_keepdim(1), &xg.mean_keepdim(1));
    for d in [0i64, 1, 2] {
        let (cv, ci) = x.max(d);
        let (gv, gi) = xg.max(d);
        close(&format!("max {d}"), &cv, &gv);
        close(&format!("argmax {d}"), &ci, &gi);
        let (cv, ci) = x.min_keepdim(d);
        let (gv, gi) = xg.min_keepdim(d);
        close(&format!("min {d}"), &cv, &gv);
        close(&format!("argmin {d}"), &ci, &gi);
    }
    close(
        "argmax of transpose",
        &x.select(0, 2).t().argmax(1),
        &xg.select(0, 2).t().argmax(1),
    );
    close("max of all", &x.max(..), &xg.max(..));
    close("argmin of all", &x.argmin(..), &xg.argmin(..));
    let nan = Tensor::from_vec(vec![1.0f32, f32::NAN, 5.0, f32::NAN, 5.0, 2.0], &[2, 3]);
    let ng = nan.to(&dev);
    close("argmax with NaN", &nan.argmax(1), &ng.argmax(1));
    close("max with NaN", &nan.max(0).0, &ng.max(0).0);
    // A long sum into one output takes the chunked path.
    let long = t(&[300_001], 13);
    close("long sum", &long.sum(..), &long.to(&dev).sum(..));
    let ints = Tensor::arange(1000).view(&[10, 100]);
    close("i64 sum", &ints.sum(1), &ints.to(&dev).sum(1));
    let mask = x.gt(0.0);
    close("bool sum", &mask.sum(..), &mask.to(&dev).sum(..));
    close(
        "sum of empty",
        &Tensor::zeros(&[0, 3]).sum(0),
        &Tensor::zeros(&[0, 3]).to(&dev).sum(0),
    );
    close("logsumexp", &x.logsumexp(2), &xg.logsumexp(2));
}

#[test]
fn matmul_matches_on_ragged_transposed_and_batched_shapes() {
    let Some(dev) = gpu() else { return };
    let cases = [
        (t(&[70, 33], 14), t(&[33, 65], 15)),
        (t(&[1, 17], 16), t(&[17, 1], 17)),
        (t(&[33, 70], 18).t(), t(&[65, 33], 19).t()),
        (t(&[3, 9, 20], 20), t(&[20, 11], 21)),
        (t(&[2, 1, 5, 7], 22), t(&[3, 7, 4], 23)),
        (t(&[4, 0], 24), t(&[0, 3], 25)),
        (t(&[64, 784], 26), t(&[784, 10], 27)),
    ];
    for (i, (a, b)) in cases.iter().enumerate() {
        close(
            &format!("matmul {i}"),
            &a.matmul(b),
            &a.to(&dev).matmul(&b.to(&dev)),
        );
    }
}

/// Runs `f` on the CPU and on the GPU with the same inputs (that require grad), then
/// backward from a fixed weighting of the output; compares outputs and every gradient.
fn grads(what: &str, dev: Device, inputs: Vec<Tensor>, f: impl Fn(&[Tensor]) -> Tensor) {
    let cpu: Vec<Tensor> = inputs
        .iter()
        .map(|x| x.detach().requires_grad_(true))
        .collect();
    let gpu: Vec<Tensor> = inputs
        .iter()
        .map(|x| x.detach().to(&dev).requires_grad_(true))
        .collect();
    let (yc, yg) = (f(&cpu), f(&gpu));
    close(&format!("{what}: output"), &yc, &yg);
    let w = t(yc.shape(), 99);
    (&yc * &w).sum(..).backward();
    (&yg * &w.to(&dev)).sum(..).backward();
    for (i, (c, g)) in cpu.iter().zip(&gpu).enumerate() {
        let (gc, gg) = (c.grad().expect("cpu grad"), g.grad().expect("gpu grad"));
        close(&format!("{what}: gradient of input {i}"), &gc, &gg);
    }
}

#[test]
fn elementwise_and_reduction_gradients_match() {
    let Some(dev) = gpu() else { return };
    let (a, b) = (t(&[5, 67], 30), t(&[67], 31));
    grads(
        "add/mul/div broadcast",
        dev,
        vec![a.clone(), b.clone()],
        |x| (&x[0] + &x[1]) * &x[0] / (x[1].abs() + 1.0),
    );
    grads("exp/log/sqrt/pow", dev, vec![a.clone()], |x| {
        x[0].exp() + (x[0].abs() + 0.1).log() + (x[0].abs() + 0.1).sqrt() + x[0].pow(3.0)
    });
    grads("sigmoid/tanh/relu/erf", dev, vec![a.clone()], |x| {
        x[0].sigmoid() + x[0].tanh() + x[0].relu() + x[0].erf()
    });
    grads(
        "maximum/clamp/abs",
        dev,
        vec![a.clone(), a.neg() + 0.25],
        |x| x[0].maximum(&x[1]) + x[0].clamp(-0.5, 0.5) + x[1].abs(),
    );
    grads(
        "sum/mean/max over dims",
        dev,
        vec![t(&[4, 5, 67], 32)],
        |x| x[0].sum_keepdim(2) + x[0].mean_keepdim(&[0i64, 2][..]) + x[0].max_keepdim(1).0,
    );
    grads("softmax/log_softmax", dev, vec![a.clone()], |x| {
        F::softmax(&x[0], 1) + F::log_softmax(&x[0], 0)
    });
    grads(
        "views and matmul",
        dev,
        vec![t(&[6, 9], 33), t(&[6, 4], 34)],
        |x| {
            x[0].t()
                .matmul(&x[1])
                .narrow(0, 1, 7)
                .view(&[-1])
                .unsqueeze(0)
                .expand(&[2, 28])
        },
    );
    grads(
        "linear",
        dev,
        vec![t(&[7, 13], 35), t(&[5, 13], 36), t(&[5], 37)],
        |x| F::linear(&x[0], &x[1], Some(&x[2])),
    );
    grads("index and gather", dev, vec![t(&[6, 10], 38)], |x| {
        let rows = Tensor::from_vec(vec![0i64, 2, 2, 5], &[4]).to(&x[0].device());
        let cols = Tensor::from_vec(vec![9i64, 0, 0, 3], &[4]).to(&x[0].device());
        let picked = x[0].index(&[&rows, &cols]);
        let idx = vec![9i64, 0, 0, 3, 1, 1, 2, 8, 5, 5, 7, 4];
        let g = x[0].gather(1, &Tensor::from_vec(idx, &[6, 2]).to(&x[0].device()));
        picked.sum(..) + g.sum(..) * 0.5 + x[0].index_select(0, &rows).sum(1).sum(..)
    });
    grads("to() between devices", dev, vec![a.clone()], |x| {
        let moved = x[0].to(&Device::Cpu).to(&x[0].device());
        moved * 2.0
    });
}

#[test]
fn convolution_all_three_passes_match() {
    let Some(dev) = gpu() else { return };
    let cases: Vec<(&str, [usize; 4], [usize; 4], Conv2dOptions)> = vec![
        (
            "tutorial conv",
            [3, 1, 28, 28],
            [16, 1, 3, 3],
            Conv2dOptions::new().stride(2).padding(1),
        ),
        (
            "groups, dilation, rect",
            [2, 4, 9, 11],
            [6, 2, 3, 2],
            Conv2dOptions::new()
                .groups(2)
                .dilation((2, 1))
                .padding((1, 0)),
        ),
        (
            "stride 3 no pad",
            [1, 3, 10, 7],
            [5, 3, 4, 3],
            Conv2dOptions::new().stride((3, 2)),
        ),
    ];
    for (name, xs, ws, opts) in cases {
        grads(
            name,
            dev,
            vec![t(&xs, 40), t(&ws, 41), t(&[ws[0]], 42)],
            |x| F::conv2d_with(&x[0], &x[1], Some(&x[2]), opts),
        );
    }
    // A transposed (non-contiguous) input.
    grads(
        "strided input",
        dev,
        vec![t(&[2, 3, 8, 6], 43), t(&[4, 3, 3, 3], 44)],
        |x| {
            F::conv2d_with(
                &x[0].transpose(2, 3),
                &x[1],
                None,
                Conv2dOptions::new().padding(1),
            )
        },
    );
}

#[test]
fn pooling_forward_and_backward_match() {
    let Some(dev) = gpu() else { return };
    let x = t(&[2, 3, 9, 11], 50);
    grads("avg_pool2d", dev, vec![x.clone()], |x| {
        F::avg_pool2d_with(&x[0], 3, AvgPool2dOptions::new().stride(2).padding(1))
    });
    grads("avg_pool2d exclude pad, ceil", dev, vec![x.clone()], |x| {
        F::avg_pool2d_with(
            &x[0],
            (2, 3),
            AvgPool2dOptions::new()
                .stride(2)
                .padding(1)
                .count_include_pad(false)
                .ceil_mode(true),
        )
    });
    grads("max_pool2d", dev, vec![x.clone()], |x| {
        F::max_pool2d_with(
            &x[0],
            3,
            MaxPool2dOptions::new()
                .stride(2)
                .padding(1)
                .dilation((1, 2)),
        )
    });
    grads(
        "max_pool2d overlapping ties",
        dev,
        vec![x.clone().clamp(0.0, 0.5)],
        |x| F::max_pool2d_with(&x[0], 3, MaxPool2dOptions::new().stride(1)),
    );
    for out in [(1, 1), (4, 5), (9, 11), (5, 3)] {
        grads(
            &format!("adaptive_avg_pool2d {out:?}"),
            dev,
            vec![x.clone()],
            |x| F::adaptive_avg_pool2d(&x[0], out),
        );
    }
    let (cv, ci) = F::max_pool2d_with_indices(&x, 2);
    let (gv, gi) = F::max_pool2d_with_indices(&x.to(&dev), 2);
    close("max_pool2d values", &cv, &gv);
    close("max_pool2d indices", &ci, &gi);
}

#[test]
fn class_losses_match_with_weights_ignore_index_and_smoothing() {
    let Some(dev) = gpu() else { return };
    let x = t(&[13, 10], 60);
    let target = Tensor::from_vec(vec![3i64, 0, 9, -100, 5, 5, 1, 2, 8, 7, -100, 4, 6], &[13]);
    let weight = t(&[10], 61).abs() + 0.1;
    let tg = target.to(&dev);
    let wg = weight.to(&dev);
    grads("cross_entropy", dev, vec![x.clone()], |x| {
        F::cross_entropy(&x[0], &target.to(&x[0].device()))
    });
    grads(
        "cross_entropy weight+ignore+smoothing",
        dev,
        vec![x.clone()],
        |x| {
            let d = x[0].device();
            let opts = CrossEntropyOptions::new()
                .weight(&weight.to(&d))
                .label_smoothing(0.1);
            F::cross_entropy_with(&x[0], &target.to(&d), opts)
        },
    );
    grads(
        "nll_loss of log_softmax, weighted",
        dev,
        vec![x.clone()],
        |x| {
            let d = x[0].device();
            let opts = NllLossOptions::new().weight(&weight.to(&d));
            F::nll_loss_with(&F::log_softmax(&x[0], 1), &target.to(&d), opts)
        },
    );
    // Spatial targets: input [n, c, h, w].
    let xs = t(&[2, 4, 3, 5], 62);
    let ts = Tensor::from_vec((0..30).map(|i| (i * 7 % 4) as i64).collect(), &[2, 3, 5]);
    grads("cross_entropy over [n, c, h, w]", dev, vec![xs], |x| {
        F::cross_entropy(&x[0], &ts.to(&x[0].device()))
    });
    let _ = (tg, wg);
}

#[test]
fn out_of_range_indices_fail_at_the_next_read_back() {
    let Some(dev) = gpu() else { return };
    let x = t(&[3, 4], 70).to(&dev);
    let bad = Tensor::from_vec(vec![0i64, 4], &[2, 1]).to(&dev);
    let r = std::panic::catch_unwind(|| x.gather(1, &bad).to_vec::<f32>());
    let msg = panic_text(r.expect_err("an index of 4 in a dim of 4 must fail"));
    assert!(
        msg.contains("gather") && msg.contains("out of range"),
        "{msg}"
    );
    // The flag is reset: later work reads back normally.
    assert_eq!(x.sum(..).to_vec::<f32>().len(), 1);
    let target = Tensor::from_vec(vec![0i64, 10], &[2]).to(&dev);
    let logits = t(&[2, 10], 71).to(&dev);
    let r = std::panic::catch_unwind(|| F::cross_entropy(&logits, &target).item::<f32>());
    let msg = panic_text(r.expect_err("target 10 of 10 classes must fail"));
    assert!(msg.contains("target"), "{msg}");
}

fn panic_text(e: Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn dropout_on_the_gpu_is_seeded_and_scaled() {
    let Some(dev) = gpu() else { return };
    let x = Tensor::ones(&[4099]).to(&dev);
    firelight::manual_seed(5);
    let a = F::dropout(&x, 0.3, true);
    firelight::manual_seed(5);
    let b = F::dropout(&x, 0.3, true);
    assert!(a.device().is_gpu());
    let (av, bv) = (a.to_vec::<f32>(), b.to_vec::<f32>());
    assert_eq!(av, bv, "the same seed gives the same mask");
    let kept = av.iter().filter(|&&v| v != 0.0).count() as f64 / av.len() as f64;
    assert!((kept - 0.7).abs() < 0.03, "kept fraction {kept}");
    assert!(av.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.7).abs() < 1e-6));
    let c = F::dropout(&x, 0.3, true).to_vec::<f32>();
    assert_ne!(av, c, "the next draw differs");
}

#[test]
fn optimizer_steps_match_the_cpu() {
    use firelight::nn::{Linear, Module};
    use firelight::optim::{Adam, AdamW, Optimizer, Sgd};
    let Some(dev) = gpu() else { return };
    let xb = t(&[16, 9], 80);
    let yb = Tensor::from_vec((0..16i64).map(|i| i % 3).collect(), &[16]);
    type Make = fn(Vec<Tensor>) -> Box<dyn Optimizer>;
    let makers: Vec<(&str, Make)> = vec![
        ("sgd momentum nesterov wd", |p| {
            Box::new(
                Sgd::new(p, 0.1)
                    .momentum(0.9)
                    .nesterov(true)
                    .weight_decay(0.01),
            )
        }),
        ("adam amsgrad", |p| {
            Box::new(Adam::new(p, 0.01).amsgrad(true))
        }),
        ("adamw", |p| Box::new(AdamW::new(p, 0.01).weight_decay(0.1))),
    ];
    for (name, make) in makers {
        firelight::manual_seed(3);
        let cpu_model = Linear::new(9, 3);
        firelight::manual_seed(3);
        let gpu_model = Linear::new(9, 3).to(&dev);
        let mut oc = make(cpu_model.parameters());
        let mut og = make(gpu_model.parameters());
        let (xg, yg) = (xb.to(&dev), yb.to(&dev));
        for _ in 0..3 {
            F::cross_entropy(&cpu_model.forward(&xb), &yb).backward();
            oc.step();
            oc.zero_grad();
            F::cross_entropy(&gpu_model.forward(&xg), &yg).backward();
            og.step();
            og.zero_grad();
        }
        close(
            &format!("{name}: weight"),
            &cpu_model.weight,
            &gpu_model.weight,
        );
        close(
            &format!("{name}: bias"),
            cpu_model.bias.as_ref().unwrap(),
            gpu_model.bias.as_ref().unwrap(),
        );
    }
}

#[test]
fn device_api_behaves_as_pytorch() {
    use firelight::nn::{Linear, Module};
    let Some(dev) = gpu() else { return };
    assert_eq!(dev, Device::Gpu(0));
    assert_eq!(Device::gpu_if_available(), dev);
    assert!(Device::is_gpu_available());
    let x = Tensor::from_vec(vec![1.0f32, 2.5], &[2]).to(&dev);
    assert_eq!(format!("{x}"), "tensor([1.0000, 2.5000], device='gpu:0')");
    let w = x.requires_grad_(true);
    assert_eq!(
        format!("{}", &w * 2.0),
        "tensor([2., 5.], device='gpu:0', grad_fn=<MulBackward0>)"
    );
    let r = std::panic::catch_unwind(|| Tensor::ones(&[2]) + Tensor::ones(&[2]).to(&dev));
    let msg = panic_text(r.expect_err("mixing devices must panic"));
    assert!(
        msg.contains("add") && msg.contains("cpu") && msg.contains("gpu:0"),
        "{msg}"
    );
    let r =
        std::panic::catch_unwind(|| Tensor::ones(&[2, 2]).matmul(&Tensor::ones(&[2, 2]).to(&dev)));
    let msg = panic_text(r.expect_err("mixing devices must panic"));
    assert!(msg.contains("matmul") && msg.contains("gpu:0"), "{msg}");
    let r = std::panic::catch_unwind(|| Tensor::ones(&[2]).double().to(&dev));
    assert!(panic_text(r.expect_err("f64 on the GPU must panic")).contains("float64"));
    // Module::to moves in place; an optimizer built afterwards sees GPU parameters.
    let model = Linear::new(3, 2).to(&dev);
    assert!(model.parameters().iter().all(|p| p.device() == dev));
    assert!(model.weight.is_leaf() && model.weight.requires_grad());
    // Autograd on the device: gradients stay there; no_grad records nothing.
    let y = model.forward(&Tensor::ones(&[4, 3]).to(&dev)).sum(..);
    y.backward();
    assert_eq!(model.weight.grad().unwrap().device(), dev);
    {
        let _g = no_grad();
        assert!(
            !model
                .forward(&Tensor::ones(&[1, 3]).to(&dev))
                .requires_grad()
        );
    }
    // The version counter catches an in-place change to a saved tensor on the GPU too.
    let a = Tensor::ones(&[3]).to(&dev).requires_grad_(true);
    let e = a.exp();
    let out = (&e * &e).sum(..);
    {
        let _g = no_grad();
        e.add_(1.0);
    }
    let r = std::panic::catch_unwind(|| out.backward());
    assert!(panic_text(r.expect_err("a modified saved tensor must fail")).contains("modified"));
    // Moving back keeps the values and the graph.
    let back = x.to(&Device::Cpu);
    assert_eq!(back.device(), Device::Cpu);
    assert_eq!(back.to_vec::<f32>(), vec![1.0, 2.5]);
}

/// With the Vulkan driver hidden, opening the GPU is a clear error and
/// `gpu_if_available` falls back to the CPU (run in a child process: the adapter list is
/// read once per process).
#[test]
fn a_hidden_driver_gives_a_clear_error_and_the_cpu() {
    if std::env::var("FIRELIGHT_GPU_CHILD").is_ok() {
        let e = Device::gpu(0).expect_err("no driver, no GPU");
        let msg = e.to_string();
        assert!(msg.contains("gpu:0") && msg.contains("searched"), "{msg}");
        assert_eq!(Device::gpu_if_available(), Device::Cpu);
        assert!(!Device::is_gpu_available());
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_hidden_driver_gives_a_clear_error_and_the_cpu",
            "--nocapture",
        ])
        .env("FIRELIGHT_GPU_CHILD", "1")
        .env("VK_ICD_FILENAMES", "/nonexistent")
        .env("VK_DRIVER_FILES", "/nonexistent")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_data_set_on_the_gpu_gives_gpu_batches() {
    use firelight::data::{DataLoader, TensorDataset};
    let Some(dev) = gpu() else { return };
    let x = t(&[10, 3], 90);
    let y = Tensor::arange(10);
    let dl = |x: &Tensor, y: &Tensor| {
        DataLoader::new(TensorDataset::new(x.clone(), y.clone()))
            .batch_size(4)
            .shuffle(true)
            .seed(1)
    };
    let on_cpu: Vec<(Tensor, Tensor)> = dl(&x, &y).iter().collect();
    let on_gpu: Vec<(Tensor, Tensor)> = dl(&x.to(&dev), &y.to(&dev)).iter().collect();
    assert_eq!(on_cpu.len(), on_gpu.len());
    for ((cx, cy), (gx, gy)) in on_cpu.iter().zip(&on_gpu) {
        close("batch inputs", cx, gx);
        close("batch labels", cy, gy);
    }
}

#[test]
fn batch_norm_trains_and_keeps_its_running_statistics_on_the_gpu() {
    use firelight::nn::{BatchNorm2d, Module};
    let Some(dev) = gpu() else { return };
    let (cpu_bn, gpu_bn) = (BatchNorm2d::new(3), BatchNorm2d::new(3).to(&dev));
    let x = t(&[4, 3, 5, 6], 91);
    grads("batch_norm2d, training", dev, vec![x.clone()], |x| {
        if x[0].device().is_gpu() {
            gpu_bn.forward(&x[0])
        } else {
            cpu_bn.forward(&x[0])
        }
    });
    close("running mean", cpu_bn.running_mean(), gpu_bn.running_mean());
    close("running var", cpu_bn.running_var(), gpu_bn.running_var());
    let state = |m: &BatchNorm2d| m.state_dict().get("num_batches_tracked").unwrap().clone();
    close("num_batches_tracked", &state(&cpu_bn), &state(&gpu_bn));
    cpu_bn.eval();
    gpu_bn.eval();
    close(
        "batch_norm2d, eval",
        &cpu_bn.forward(&x),
        &gpu_bn.forward(&x.to(&dev)),
    );
}
