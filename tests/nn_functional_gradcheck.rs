//! `autograd::gradcheck` (f64 finite differences) for every op of `nn::functional`, under
//! every option that changes the math, plus the tutorial's identity
//! `cross_entropy = nll_loss(log_softmax)` and the bad-input panics.
#![allow(clippy::cloned_ref_to_slice_refs)]
use firelight::autograd::gradcheck;
use firelight::nn::functional::{
    self as F, BceWithLogitsOptions, CrossEntropyOptions, MseLossOptions, NllLossOptions, Reduction,
};
use firelight::{Generator, Tensor};

const EPS: f64 = 1e-6;
const ATOL: f64 = 1e-7;
const RTOL: f64 = 1e-6;
const REDUCTIONS: [Reduction; 3] = [Reduction::None, Reduction::Mean, Reduction::Sum];

fn check(case: &str, f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) {
    if let Err(e) = gradcheck(f, inputs, EPS, ATOL, RTOL) {
        panic!("{case}: {e}");
    }
}

/// Uniform values in `[lo, hi)`, the same for the same seed.
fn uniform(seed: u64, shape: &[usize], lo: f64, hi: f64) -> Tensor {
    let mut g = Generator::new(seed);
    let n = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|_| lo + (hi - lo) * g.uniform_f64()).collect();
    Tensor::from_vec(v, shape)
}

/// Values in `(-2, 2)` at least 0.2 away from 0 (safe for relu and leaky_relu).
fn signed(seed: u64, shape: &[usize]) -> Tensor {
    let x = uniform(seed, shape, 0.2, 2.0);
    let s = uniform(seed + 1, shape, -1.0, 1.0).sign();
    x * s
}

fn targets(v: &[i64]) -> Tensor {
    Tensor::from_vec(v.to_vec(), &[v.len()])
}

#[test]
fn activations() {
    let x = signed(1, &[3, 4]);
    check("relu", |t| F::relu(&t[0]), &[x.clone()]);
    check("leaky_relu", |t| F::leaky_relu(&t[0], 0.1), &[x.clone()]);
    check(
        "gelu",
        |t| F::gelu(&t[0]),
        &[uniform(2, &[3, 4], -4.0, 4.0)],
    );
    check("sigmoid", |t| F::sigmoid(&t[0]), &[x.clone()]);
    check("tanh", |t| F::tanh(&t[0]), &[x.clone()]);
    for dim in [0, 1, -1] {
        check("softmax", |t| F::softmax(&t[0], dim), &[x.clone()]);
        check("log_softmax", |t| F::log_softmax(&t[0], dim), &[x.clone()]);
    }
    let x3 = signed(3, &[2, 3, 2]);
    check("softmax 3-d", |t| F::softmax(&t[0], 1), &[x3.clone()]);
    check("log_softmax 3-d", |t| F::log_softmax(&t[0], 1), &[x3]);
}

#[test]
fn gelu_is_exact_erf_form() {
    // Reference values from torch.nn.functional.gelu (float64).
    let x = Tensor::from_vec(vec![-3.0f64, -0.5, 0.1, 2.0, 5.0], &[5]);
    let want = [
        -0.00404969409489031,
        -0.15426876936299344,
        0.053982783727702904,
        1.9544997361036416,
        4.999998566742141,
    ];
    for (g, w) in F::gelu(&x).to_vec::<f64>().iter().zip(want) {
        assert!((g - w).abs() < 1e-14 * (1.0 + w.abs()), "{g} vs {w}");
    }
}

#[test]
fn dropout() {
    let x = signed(4, &[4, 5]);
    // The mask comes from the global generator: re-seeding fixes it for every evaluation.
    check(
        "dropout",
        |t| {
            firelight::manual_seed(7);
            F::dropout(&t[0], 0.4, true)
        },
        &[x.clone()],
    );
    firelight::manual_seed(7);
    let y = F::dropout(&x, 0.4, true).to_vec::<f64>();
    for (a, b) in y.iter().zip(x.to_vec::<f64>()) {
        assert!(*a == 0.0 || (a - b / 0.6).abs() < 1e-12);
    }
    assert_eq!(
        F::dropout(&x, 0.4, false).to_vec::<f64>(),
        x.to_vec::<f64>()
    );
    assert_eq!(F::dropout(&x, 0.0, true).to_vec::<f64>(), x.to_vec::<f64>());
    assert_eq!(F::dropout(&x, 1.0, true).to_vec::<f64>(), vec![0.0; 20]);
    let big = Tensor::ones(&[20000]);
    let kept = F::dropout(&big, 0.25, true)
        .gt(0.0)
        .to_dtype(firelight::DType::F32);
    let frac = kept.mean(..).item::<f32>();
    assert!((frac - 0.75).abs() < 0.02, "kept {frac}");
}

#[test]
fn linear() {
    let (x, w, b) = (signed(5, &[3, 4]), signed(6, &[2, 4]), signed(7, &[2]));
    check(
        "linear",
        |t| F::linear(&t[0], &t[1], Some(&t[2])),
        &[x.clone(), w.clone(), b],
    );
    check("linear no bias", |t| F::linear(&t[0], &t[1], None), &[x, w]);
    let x3 = signed(8, &[2, 3, 4]);
    check(
        "linear batched",
        |t| F::linear(&t[0], &t[1], None),
        &[x3, signed(6, &[2, 4])],
    );
}

fn class_cases() -> Vec<(Option<Tensor>, i64, Tensor)> {
    let w = uniform(10, &[5], 0.3, 2.0);
    let mut v = vec![];
    for weight in [None, Some(w)] {
        v.push((weight.clone(), -100, targets(&[1, 0, 4, 2])));
        v.push((weight.clone(), -100, targets(&[1, -100, 4, 3])));
        v.push((weight, 2, targets(&[1, 2, 4, 2])));
    }
    v
}

#[test]
fn nll_loss() {
    let lp = uniform(11, &[4, 5], -3.0, 0.0);
    for (weight, ignore_index, y) in class_cases() {
        for reduction in REDUCTIONS {
            let mut opts = NllLossOptions::new()
                .ignore_index(ignore_index)
                .reduction(reduction);
            if let Some(w) = &weight {
                opts = opts.weight(w);
            }
            check(
                &format!("nll_loss {opts:?}"),
                |t| F::nll_loss_with(&t[0], &t[1], opts.clone()),
                &[lp.clone(), y.clone()],
            );
        }
    }
    let lp3 = uniform(12, &[2, 3, 2], -3.0, 0.0);
    let y3 = Tensor::from_vec(vec![0i64, 2, -100, 1], &[2, 2]);
    for reduction in REDUCTIONS {
        let opts = NllLossOptions::new().reduction(reduction);
        check(
            "nll_loss 3-d",
            |t| F::nll_loss_with(&t[0], &t[1], opts.clone()),
            &[lp3.clone(), y3.clone()],
        );
    }
}

#[test]
fn cross_entropy() {
    let x = signed(13, &[4, 5]);
    for (weight, ignore_index, y) in class_cases() {
        for reduction in REDUCTIONS {
            for label_smoothing in [0.0, 0.25] {
                let mut opts = CrossEntropyOptions::new()
                    .ignore_index(ignore_index)
                    .reduction(reduction)
                    .label_smoothing(label_smoothing);
                if let Some(w) = &weight {
                    opts = opts.weight(w);
                }
                check(
                    &format!("cross_entropy {opts:?}"),
                    |t| F::cross_entropy_with(&t[0], &t[1], opts.clone()),
                    &[x.clone(), y.clone()],
                );
            }
        }
    }
    let x3 = signed(14, &[2, 3, 2]);
    let y3 = Tensor::from_vec(vec![0i64, 2, -100, 1], &[2, 2]);
    let w3 = uniform(15, &[3], 0.3, 2.0);
    for reduction in REDUCTIONS {
        let opts = CrossEntropyOptions::new()
            .weight(&w3)
            .reduction(reduction)
            .label_smoothing(0.1);
        check(
            "cross_entropy 3-d",
            |t| F::cross_entropy_with(&t[0], &t[1], opts.clone()),
            &[x3.clone(), y3.clone()],
        );
        let opts = CrossEntropyOptions::new().reduction(reduction);
        check(
            "cross_entropy 1-d",
            |t| F::cross_entropy_with(&t[0], &t[1], opts.clone()),
            &[signed(16, &[4]), Tensor::scalar(2i64)],
        );
    }
}

#[test]
fn mse_and_bce_with_logits() {
    let (a, b) = (signed(17, &[3, 4]), signed(18, &[3, 4]));
    let y = uniform(19, &[3, 4], 0.0, 1.0);
    let pw = uniform(20, &[4], 0.5, 3.0);
    let ew = uniform(21, &[3, 4], 0.5, 1.5);
    for reduction in REDUCTIONS {
        check(
            "mse_loss",
            |t| F::mse_loss_with(&t[0], &t[1], MseLossOptions::new().reduction(reduction)),
            &[a.clone(), b.clone()],
        );
        for pos_weight in [None, Some(pw.clone())] {
            for weight in [None, Some(ew.clone())] {
                let mut opts = BceWithLogitsOptions::new().reduction(reduction);
                if let Some(w) = &weight {
                    opts = opts.weight(w);
                }
                if let Some(pw) = &pos_weight {
                    opts = opts.pos_weight(pw);
                }
                check(
                    &format!("bce_with_logits {opts:?}"),
                    |t| F::binary_cross_entropy_with_logits_with(&t[0], &t[1], opts.clone()),
                    &[&a * 4.0, y.clone()],
                );
            }
        }
    }
    // Stable for large logits: no inf, no NaN.
    let x = Tensor::from_vec(vec![-1000.0f32, 1000.0], &[2]);
    let t = Tensor::from_vec(vec![1.0f32, 0.0], &[2]);
    let l = F::binary_cross_entropy_with_logits(&x, &t);
    assert_eq!(l.item::<f32>(), 1000.0);
}

/// The tutorial's hand-written versions (examples/01_from_scratch.rs).
fn hand_log_softmax(x: &Tensor) -> Tensor {
    x - x.exp().sum(-1).log().unsqueeze(-1)
}

fn hand_nll(input: &Tensor, target: &Tensor) -> Tensor {
    -input
        .index(&[&Tensor::arange(target.shape()[0] as i64), target])
        .mean(..)
}

#[test]
fn cross_entropy_is_nll_of_log_softmax() {
    let x = signed(22, &[6, 10]).float().requires_grad_(true);
    let y = targets(&[3, 0, 9, 9, 1, 5]);
    let fused = F::cross_entropy(&x, &y);
    fused.backward();
    let g_fused = x.grad().unwrap().to_vec::<f32>();
    x.set_grad(None);
    let composed = F::nll_loss(&F::log_softmax(&x, 1), &y);
    composed.backward();
    let g_composed = x.grad().unwrap().to_vec::<f32>();
    x.set_grad(None);
    let hand = hand_nll(&hand_log_softmax(&x), &y);
    hand.backward();
    let g_hand = x.grad().unwrap().to_vec::<f32>();
    let (a, b, c) = (
        fused.item::<f32>(),
        composed.item::<f32>(),
        hand.item::<f32>(),
    );
    assert!((a - b).abs() < 1e-6 && (a - c).abs() < 1e-6, "{a} {b} {c}");
    for ((p, q), r) in g_fused.iter().zip(&g_composed).zip(&g_hand) {
        assert!((p - q).abs() < 1e-6 && (p - r).abs() < 1e-6, "{p} {q} {r}");
    }
}

fn panics_with(msg: &str, f: impl FnOnce() + std::panic::UnwindSafe) {
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    let text = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(
        text.contains(msg),
        "panic {text:?} does not contain {msg:?}"
    );
}

#[test]
fn bad_input_panics_clearly() {
    let x = Tensor::zeros(&[2, 3]);
    panics_with("cross_entropy: expected target of dtype int64", || {
        F::cross_entropy(&x, &Tensor::zeros(&[2]));
    });
    panics_with(
        "cross_entropy: target 3 is out of bounds for 3 classes",
        || {
            F::cross_entropy(&x, &targets(&[0, 3]));
        },
    );
    panics_with("nll_loss: target -1 is out of bounds", || {
        F::nll_loss(&x, &targets(&[-1, 0]));
    });
    panics_with(
        "nll_loss: expected target of shape [2] for input of shape [2, 3]",
        || {
            F::nll_loss(&x, &targets(&[0, 1, 2]));
        },
    );
    panics_with("cross_entropy: weight must have shape [3]", || {
        let opts = CrossEntropyOptions::new().weight(&Tensor::ones(&[2]));
        F::cross_entropy_with(&x, &targets(&[0, 1]), opts);
    });
    panics_with(
        "dropout: probability has to be between 0 and 1, but got 1.5",
        || {
            F::dropout(&x, 1.5, true);
        },
    );
    panics_with("linear: input [2, 3] and weight [3, 2]", || {
        F::linear(&x, &Tensor::zeros(&[3, 2]), None);
    });
    panics_with("binary_cross_entropy_with_logits: target size [3]", || {
        F::binary_cross_entropy_with_logits(&x, &Tensor::zeros(&[3]));
    });
}

#[test]
fn erf_and_gelu_at_zero() {
    let z = Tensor::zeros(&[3]);
    assert_eq!(z.erf().to_vec::<f32>(), vec![0.0; 3]);
    assert_eq!(
        firelight::nn::functional::gelu(&z).to_vec::<f32>(),
        vec![0.0; 3]
    );
}
