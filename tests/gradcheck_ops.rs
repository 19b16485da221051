//! Every differentiable op checked against central finite differences in f64.
//!
//! Inputs are deterministic (a seeded generator) and kept away from the points where an
//! op is not differentiable (relu and abs at 0, clamp at its bounds, max with ties), where
//! a finite difference measures a one-sided mix that no rule is expected to match.
// Cases pass their inputs as a list, `&[x.clone()]` for one: clearer than `slice::from_ref`.
#![allow(clippy::cloned_ref_to_slice_refs)]
use firelight::autograd::gradcheck;
use firelight::{DType, Generator, Tensor};

const EPS: f64 = 1e-6;
const ATOL: f64 = 1e-7;
const RTOL: f64 = 1e-6;

/// Runs gradcheck with this file's tolerances, naming the case on failure.
fn check(case: &str, f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) {
    check_tol(case, f, inputs, ATOL, RTOL);
}

fn check_tol(case: &str, f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor], atol: f64, rtol: f64) {
    if let Err(e) = gradcheck(f, inputs, EPS, atol, rtol) {
        panic!("{case}: {e}");
    }
}

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Uniform values in `[lo, hi)`, the same for the same seed.
fn uniform(seed: u64, shape: &[usize], lo: f64, hi: f64) -> Tensor {
    let mut g = Generator::new(seed);
    let v: Vec<f64> = (0..numel(shape))
        .map(|_| lo + (hi - lo) * g.uniform_f64())
        .collect();
    Tensor::from_vec(v, shape)
}

/// Values in `(-2, 2)` at least 0.2 away from 0 (safe for relu, abs and as divisors).
fn signed(seed: u64, shape: &[usize]) -> Tensor {
    let mut g = Generator::new(seed);
    let v: Vec<f64> = (0..numel(shape))
        .map(|_| {
            let m = 0.2 + 1.8 * g.uniform_f64();
            if g.uniform_f64() < 0.5 { -m } else { m }
        })
        .collect();
    Tensor::from_vec(v, shape)
}

/// Values in `[0.5, 2.5)` (safe for log, sqrt and fractional powers).
fn positive(seed: u64, shape: &[usize]) -> Tensor {
    uniform(seed, shape, 0.5, 2.5)
}

/// Distinct values, shuffled, spaced 0.25 apart: max/min have no ties.
fn distinct(seed: u64, shape: &[usize]) -> Tensor {
    let n = numel(shape);
    let order = Generator::new(seed).randperm(n);
    let v: Vec<f64> = order.iter().map(|&i| i as f64 * 0.25 - 1.3).collect();
    Tensor::from_vec(v, shape)
}

fn idx(v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape)
}

/// gradcheck must fail when the analytic gradient is wrong. `detach` hides one factor
/// of `x * x` from autograd, so backward gives `x` where the true derivative is `2x`.
#[test]
fn gradcheck_catches_a_wrong_gradient() {
    let x = signed(1, &[3]);
    let r = gradcheck(|t| &t[0].detach() * &t[0], &[x], EPS, ATOL, RTOL);
    let err = r.expect_err("gradcheck accepted a gradient that is half the true one");
    assert_eq!(err.input, 0);
    assert!((err.analytic * 2.0 - err.numeric).abs() < 1e-6, "{err}");
}

/// The four arithmetic ops over the same broadcasting cases.
fn arithmetic_cases(name: &str, op: fn(&Tensor, &Tensor) -> Tensor, denominator_safe: bool) {
    let b = |seed, shape: &[usize]| {
        if denominator_safe {
            signed(seed, shape)
        } else {
            uniform(seed, shape, -2.0, 2.0)
        }
    };
    let cases: Vec<(&str, Tensor, Tensor)> = vec![
        ("same shape", uniform(1, &[2, 3], -2.0, 2.0), b(2, &[2, 3])),
        ("[3,1] with [4]", uniform(3, &[3, 1], -2.0, 2.0), b(4, &[4])),
        ("[4] with [3,1]", uniform(5, &[4], -2.0, 2.0), b(6, &[3, 1])),
        ("[2,3] with [3]", uniform(7, &[2, 3], -2.0, 2.0), b(8, &[3])),
        (
            "[3] with [2,3]",
            uniform(9, &[3], -2.0, 2.0),
            b(10, &[2, 3]),
        ),
        (
            "[2,3] with scalar",
            uniform(11, &[2, 3], -2.0, 2.0),
            b(12, &[]),
        ),
        (
            "scalar with [2,3]",
            uniform(13, &[], -2.0, 2.0),
            b(14, &[2, 3]),
        ),
        (
            "scalar with scalar",
            uniform(15, &[], -2.0, 2.0),
            b(16, &[]),
        ),
        (
            "[2,1,3] with [4,1]",
            uniform(17, &[2, 1, 3], -2.0, 2.0),
            b(18, &[4, 1]),
        ),
    ];
    for (case, x, y) in cases {
        check(&format!("{name} {case}"), |t| op(&t[0], &t[1]), &[x, y]);
    }
    // The same tensor on both sides: both gradients land in one leaf.
    let x = b(19, &[2, 3]);
    check(&format!("{name} x with x"), |t| op(&t[0], &t[0]), &[x]);
    // Transposed (non-contiguous) operands.
    let (x, y) = (uniform(20, &[3, 2], -2.0, 2.0), b(21, &[2, 3]));
    check(
        &format!("{name} transposed"),
        |t| op(&t[0].t(), &t[1]),
        &[x, y],
    );
}

#[test]
fn add() {
    arithmetic_cases("add", |a, b| a + b, false);
    let x = uniform(30, &[2, 3], -2.0, 2.0);
    check("add f64 scalar", |t| &t[0] + 2.5, &[x.clone()]);
    check("add scalar first", |t| 2.5 + &t[0], &[x.clone()]);
    check("add int scalar", |t| t[0].add(3), &[x]);
}

#[test]
fn sub() {
    arithmetic_cases("sub", |a, b| a - b, false);
    let x = uniform(31, &[2, 3], -2.0, 2.0);
    check("sub f64 scalar", |t| &t[0] - 2.5, &[x.clone()]);
    check("sub scalar first", |t| 2.5 - &t[0], &[x]);
}

#[test]
fn mul() {
    arithmetic_cases("mul", |a, b| a * b, false);
    let x = uniform(32, &[2, 3], -2.0, 2.0);
    check("mul f64 scalar", |t| &t[0] * -1.5, &[x.clone()]);
    check("mul scalar first", |t| -1.5 * &t[0], &[x]);
}

#[test]
fn div() {
    arithmetic_cases("div", |a, b| a / b, true);
    let x = signed(33, &[2, 3]);
    check("div f64 scalar", |t| &t[0] / -1.5, &[x.clone()]);
    check("div scalar first", |t| 1.5 / &t[0], &[x.clone()]);
    check("div int scalar", |t| t[0].div(4), &[x]);
}

#[test]
fn neg() {
    check("neg", |t| -&t[0], &[uniform(40, &[2, 3], -2.0, 2.0)]);
    check(
        "neg method",
        |t| t[0].neg(),
        &[uniform(41, &[4], -2.0, 2.0)],
    );
}

#[test]
fn exp_log_sqrt() {
    check("exp", |t| t[0].exp(), &[uniform(42, &[2, 3], -2.0, 2.0)]);
    check("log", |t| t[0].log(), &[positive(43, &[2, 3])]);
    check("sqrt", |t| t[0].sqrt(), &[positive(44, &[2, 3])]);
    // Non-contiguous input.
    check(
        "exp of transpose",
        |t| t[0].t().exp(),
        &[uniform(45, &[3, 2], -1.0, 1.0)],
    );
    check("log scalar", |t| t[0].log(), &[positive(46, &[])]);
}

#[test]
fn pow_scalar_exponent() {
    let any = uniform(50, &[2, 3], -2.0, 2.0);
    check("pow 2", |t| t[0].pow(2.0), &[any.clone()]);
    check("pow int 2", |t| t[0].pow(2), &[any.clone()]);
    check("pow 3", |t| t[0].pow(3.0), &[any.clone()]);
    check("pow 1", |t| t[0].pow(1.0), &[any.clone()]);
    check("pow 0", |t| t[0].pow(0.0), &[any]);
    let pos = positive(51, &[2, 3]);
    check("pow 0.5", |t| t[0].pow(0.5), &[pos.clone()]);
    check("pow -1", |t| t[0].pow(-1.0), &[pos.clone()]);
    check("pow -2.5", |t| t[0].pow(-2.5), &[pos.clone()]);
    check("pow 1.7", |t| t[0].pow(1.7), &[pos]);
    let neg = signed(52, &[5]);
    check("pow -1 signed base", |t| t[0].pow(-1.0), &[neg.clone()]);
    check("pow -2 signed base", |t| t[0].pow(-2), &[neg]);
}

#[test]
fn pow_tensor_exponent() {
    let base = positive(53, &[2, 3]);
    let e = uniform(54, &[2, 3], -2.0, 2.0);
    check("pow tensor", |t| t[0].pow(&t[1]), &[base.clone(), e]);
    check(
        "pow broadcast exponent",
        |t| t[0].pow(&t[1]),
        &[base.clone(), uniform(55, &[3], -2.0, 2.0)],
    );
    check(
        "pow broadcast base",
        |t| t[0].pow(&t[1]),
        &[positive(56, &[3, 1]), uniform(57, &[4], -2.0, 2.0)],
    );
    check(
        "pow scalar-tensor exponent",
        |t| t[0].pow(&t[1]),
        &[base, uniform(58, &[], 0.5, 2.0)],
    );
    // Integer-valued exponents with negative bases are defined and smooth in the base.
    let neg = signed(59, &[4]);
    let two = Tensor::from_vec(vec![2.0f64, 3.0, 2.0, 3.0], &[4]);
    check(
        "pow negative base, integer exponent (base grad)",
        |t| t[0].pow(&two),
        &[neg],
    );
}

#[test]
fn abs_relu() {
    let x = signed(60, &[3, 4]);
    check("abs", |t| t[0].abs(), &[x.clone()]);
    check("relu", |t| t[0].relu(), &[x.clone()]);
    check("relu of transpose", |t| t[0].t().relu(), &[x]);
}

#[test]
fn sigmoid_tanh() {
    let x = uniform(61, &[3, 4], -3.0, 3.0);
    check("sigmoid", |t| t[0].sigmoid(), &[x.clone()]);
    check("tanh", |t| t[0].tanh(), &[x]);
    let big = Tensor::from_vec(vec![-8.0f64, -4.0, 4.0, 8.0], &[4]);
    check("sigmoid saturating", |t| t[0].sigmoid(), &[big.clone()]);
    check("tanh saturating", |t| t[0].tanh(), &[big]);
}

#[test]
fn maximum_minimum() {
    let (x, y) = (distinct(70, &[2, 3]), distinct(71, &[2, 3]) + 0.1);
    check("maximum", |t| t[0].maximum(&t[1]), &[x.clone(), y.clone()]);
    check("minimum", |t| t[0].minimum(&t[1]), &[x, y]);
    let (x, y) = (distinct(72, &[3, 1]), distinct(73, &[4]) + 0.1);
    check(
        "maximum broadcast",
        |t| t[0].maximum(&t[1]),
        &[x.clone(), y.clone()],
    );
    check("minimum broadcast", |t| t[0].minimum(&t[1]), &[x, y]);
    // Ties: the gradient is split in half, which is exactly the central difference.
    let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, -0.5], &[4]);
    let y = Tensor::from_vec(vec![1.0f64, 0.5, 3.0, 0.25], &[4]);
    check(
        "maximum ties",
        |t| t[0].maximum(&t[1]),
        &[x.clone(), y.clone()],
    );
    check("minimum ties", |t| t[0].minimum(&t[1]), &[x.clone(), y]);
    check("maximum with itself", |t| t[0].maximum(&t[0]), &[x.clone()]);
    check("minimum with itself", |t| t[0].minimum(&t[0]), &[x]);
}

#[test]
fn clamp_family() {
    // Bounds at +-0.5; inputs are distinct multiples of 0.25 shifted off the bounds.
    let x = distinct(80, &[3, 4]) + 0.1;
    check("clamp", |t| t[0].clamp(-0.5, 0.5), &[x.clone()]);
    check("clamp_min", |t| t[0].clamp_min(-0.5), &[x.clone()]);
    check("clamp_max", |t| t[0].clamp_max(0.5), &[x.clone()]);
    check(
        "clamp wide (identity)",
        |t| t[0].clamp(-10.0, 10.0),
        &[x.clone()],
    );
    check("clamp of transpose", |t| t[0].t().clamp(-0.5, 0.5), &[x]);
}

#[test]
fn where_and_masked_fill() {
    let cond = Tensor::from_vec(vec![true, false, true, false, false, true], &[2, 3]);
    let (x, y) = (
        uniform(90, &[2, 3], -2.0, 2.0),
        uniform(91, &[2, 3], -2.0, 2.0),
    );
    check(
        "where",
        |t| Tensor::where_(&cond, &t[0], &t[1]),
        &[x.clone(), y],
    );
    check(
        "where broadcast y",
        |t| Tensor::where_(&cond, &t[0], &t[1]),
        &[x.clone(), uniform(92, &[3], -2.0, 2.0)],
    );
    check(
        "where broadcast x (scalar)",
        |t| Tensor::where_(&cond, &t[0], &t[1]),
        &[uniform(93, &[], -2.0, 2.0), x.clone()],
    );
    let row_cond = Tensor::from_vec(vec![true, false, true], &[3]);
    check(
        "where broadcast cond",
        |t| Tensor::where_(&row_cond, &t[0], &t[1]),
        &[x.clone(), uniform(94, &[2, 1], -2.0, 2.0)],
    );
    let col_cond = Tensor::from_vec(vec![false, true], &[2, 1, 1]);
    check(
        "where cond larger than both",
        |t| Tensor::where_(&col_cond, &t[0], &t[1]),
        &[
            uniform(95, &[3], -2.0, 2.0),
            uniform(96, &[2, 1], -2.0, 2.0),
        ],
    );
    check(
        "masked_fill",
        |t| t[0].masked_fill(&cond, -1.0),
        &[x.clone()],
    );
    check(
        "masked_fill broadcast mask",
        |t| t[0].masked_fill(&row_cond, 7.0),
        &[x],
    );
}

#[test]
fn sum_family() {
    let x = uniform(100, &[2, 3, 4], -2.0, 2.0);
    check("sum", |t| t[0].sum(..), &[x.clone()]);
    for keepdim in [false, true] {
        for dims in [
            vec![0i64],
            vec![1],
            vec![2],
            vec![-1],
            vec![-2],
            vec![0, 2],
            vec![-1, 0],
            vec![0, 1, 2],
        ] {
            check(
                &format!("sum_dim {dims:?} keepdim={keepdim}"),
                |t| {
                    if keepdim {
                        t[0].sum_keepdim(dims.clone())
                    } else {
                        t[0].sum(dims.clone())
                    }
                },
                &[x.clone()],
            );
        }
    }
    check("sum of permuted", |t| t[0].permute(&[2, 0, 1]).sum(1), &[x]);
    check(
        "sum of scalar",
        |t| t[0].sum(..),
        &[uniform(101, &[], -1.0, 1.0)],
    );
}

#[test]
fn mean_family() {
    let x = uniform(110, &[2, 3, 4], -2.0, 2.0);
    check("mean", |t| t[0].mean(..), &[x.clone()]);
    for keepdim in [false, true] {
        for dims in [vec![0i64], vec![-1], vec![1, 2], vec![-3, -1]] {
            check(
                &format!("mean_dim {dims:?} keepdim={keepdim}"),
                |t| {
                    if keepdim {
                        t[0].mean_keepdim(dims.clone())
                    } else {
                        t[0].mean(dims.clone())
                    }
                },
                &[x.clone()],
            );
        }
    }
    check("mean of transpose", |t| t[0].transpose(0, 2).mean(0), &[x]);
}

#[test]
fn max_min_all() {
    let x = distinct(120, &[3, 4]);
    check("max", |t| t[0].max(..), &[x.clone()]);
    check("min", |t| t[0].min(..), &[x.clone()]);
    check("max of transpose", |t| t[0].t().max(..), &[x]);
    check(
        "max of one element",
        |t| t[0].max(..),
        &[uniform(121, &[1], -1.0, 1.0)],
    );
}

#[test]
fn max_min_dim() {
    let x = distinct(130, &[3, 4, 2]);
    for keepdim in [false, true] {
        for dim in [0i64, 1, 2, -1, -3] {
            check(
                &format!("max_dim {dim} keepdim={keepdim}"),
                |t| {
                    if keepdim {
                        t[0].max_keepdim(dim).0
                    } else {
                        t[0].max(dim).0
                    }
                },
                &[x.clone()],
            );
            check(
                &format!("min_dim {dim} keepdim={keepdim}"),
                |t| {
                    if keepdim {
                        t[0].min_keepdim(dim).0
                    } else {
                        t[0].min(dim).0
                    }
                },
                &[x.clone()],
            );
        }
    }
    check(
        "max_dim of transpose",
        |t| t[0].transpose(0, 1).max(1).0,
        &[x],
    );
}

#[test]
fn logsumexp() {
    let x = uniform(140, &[2, 3, 4], -3.0, 3.0);
    for keepdim in [false, true] {
        for dims in [vec![0i64], vec![-1], vec![1], vec![0, 2], vec![0, 1, 2]] {
            check(
                &format!("logsumexp {dims:?} keepdim={keepdim}"),
                |t| {
                    if keepdim {
                        t[0].logsumexp_keepdim(dims.clone())
                    } else {
                        t[0].logsumexp(dims.clone())
                    }
                },
                &[x.clone()],
            );
        }
    }
    // Large values: the max shift keeps exp finite; the gradient is still the softmax.
    let big = uniform(141, &[2, 3], 40.0, 44.0);
    check("logsumexp large", |t| t[0].logsumexp(-1), &[big]);
    check(
        "logsumexp of transpose",
        |t| t[0].t().logsumexp(0),
        &[uniform(142, &[3, 2], -1.0, 1.0)],
    );
}

#[test]
fn matmul() {
    let cases: Vec<(&str, Vec<usize>, Vec<usize>)> = vec![
        ("1-D . 1-D", vec![4], vec![4]),
        ("2-D . 1-D", vec![3, 4], vec![4]),
        ("1-D . 2-D", vec![4], vec![4, 2]),
        ("2-D . 2-D", vec![3, 4], vec![4, 2]),
        ("3-D . 3-D", vec![2, 3, 4], vec![2, 4, 2]),
        ("3-D . 2-D", vec![2, 3, 4], vec![4, 2]),
        ("2-D . 3-D", vec![3, 4], vec![2, 4, 2]),
        ("3-D . 1-D", vec![2, 3, 4], vec![4]),
        ("1-D . 3-D", vec![4], vec![2, 4, 2]),
        ("[2,1,3,4] . [5,4,2]", vec![2, 1, 3, 4], vec![5, 4, 2]),
        ("[1,3,4] . [2,4,2]", vec![1, 3, 4], vec![2, 4, 2]),
        ("[3,1,2,3,4] . [2,4,2]", vec![3, 1, 2, 3, 4], vec![2, 4, 2]),
    ];
    for (i, (case, sa, sb)) in cases.into_iter().enumerate() {
        let a = uniform(150 + 2 * i as u64, &sa, -1.0, 1.0);
        let b = uniform(151 + 2 * i as u64, &sb, -1.0, 1.0);
        check(&format!("matmul {case}"), |t| t[0].matmul(&t[1]), &[a, b]);
    }
    // Transposed (non-contiguous) operands.
    let (a, b) = (
        uniform(180, &[4, 3], -1.0, 1.0),
        uniform(181, &[2, 4], -1.0, 1.0),
    );
    check(
        "matmul a.t() . b.t()",
        |t| t[0].t().matmul(&t[1].t()),
        &[a.clone(), b.clone()],
    );
    check("matmul a.t() . a", |t| t[0].t().matmul(&t[0]), &[a]);
    let (a, b) = (
        uniform(182, &[2, 4, 3], -1.0, 1.0),
        uniform(183, &[2, 2, 4], -1.0, 1.0),
    );
    check(
        "matmul batched transposed",
        |t| t[0].transpose(-1, -2).matmul(&t[1].transpose(1, 2)),
        &[a, b],
    );
    // Batch dims that cannot be merged into one stride.
    let (a, b) = (
        uniform(184, &[3, 2, 3, 4], -1.0, 1.0),
        uniform(185, &[4, 2], -1.0, 1.0),
    );
    check(
        "matmul permuted batch",
        |t| t[0].transpose(0, 1).matmul(&t[1]),
        &[a.clone(), b.clone()],
    );
    check(
        "matmul permuted batch with a size-1 batch dim",
        |t| t[0].transpose(0, 1).unsqueeze(1).matmul(&t[1]),
        &[a, b],
    );
    // An expanded (stride 0) operand.
    let (v, m) = (
        uniform(186, &[4], -1.0, 1.0),
        uniform(187, &[4, 2], -1.0, 1.0),
    );
    check(
        "matmul expanded rows",
        |t| t[0].expand(&[3, 4]).matmul(&t[1]),
        &[v, m],
    );
    // A vector with itself.
    check(
        "matmul x . x",
        |t| t[0].matmul(&t[0]),
        &[uniform(188, &[5], -1.0, 1.0)],
    );
}

#[test]
fn mm() {
    let (a, b) = (
        uniform(190, &[3, 4], -1.0, 1.0),
        uniform(191, &[4, 2], -1.0, 1.0),
    );
    check("mm", |t| t[0].mm(&t[1]), &[a, b]);
    let (a, b) = (
        uniform(192, &[4, 3], -1.0, 1.0),
        uniform(193, &[2, 4], -1.0, 1.0),
    );
    check("mm transposed", |t| t[0].t().mm(&t[1].t()), &[a, b]);
}

#[test]
fn gather() {
    let x = uniform(200, &[3, 4], -2.0, 2.0);
    let i1 = idx(&[1, 0, 3, 3, 2, 1], &[3, 2]);
    check("gather dim 1", |t| t[0].gather(1, &i1), &[x.clone()]);
    let i0 = idx(&[2, 0, 1, 1, 0, 0, 2, 2], &[2, 4]);
    check("gather dim 0", |t| t[0].gather(0, &i0), &[x.clone()]);
    let ineg = idx(&[0, 2, 2, 1], &[2, 2]);
    check(
        "gather dim -1, smaller index",
        |t| t[0].gather(-1, &ineg),
        &[x.clone()],
    );
    check("gather of transpose", |t| t[0].t().gather(1, &ineg), &[x]);
    let x3 = uniform(201, &[2, 3, 2], -2.0, 2.0);
    let i3 = idx(&[2, 0, 1, 1, 0, 2, 2, 2], &[2, 2, 2]);
    check("gather 3-D dim 1", |t| t[0].gather(1, &i3), &[x3]);
}

#[test]
fn index_select() {
    let x = uniform(210, &[4, 3], -2.0, 2.0);
    let rows = idx(&[3, 0, 3, 1], &[4]);
    check(
        "index_select dim 0",
        |t| t[0].index_select(0, &rows),
        &[x.clone()],
    );
    let cols = idx(&[2, 2, 0], &[3]);
    check(
        "index_select dim 1",
        |t| t[0].index_select(1, &cols),
        &[x.clone()],
    );
    check(
        "index_select dim -1",
        |t| t[0].index_select(-1, &cols),
        &[x.clone()],
    );
    check(
        "index_select of transpose",
        |t| t[0].t().index_select(0, &cols),
        &[x],
    );
    let x3 = uniform(211, &[2, 3, 2], -2.0, 2.0);
    check(
        "index_select middle dim",
        |t| t[0].index_select(1, &cols),
        &[x3],
    );
}

#[test]
fn advanced_index() {
    let x = uniform(220, &[4, 3], -2.0, 2.0);
    let target = idx(&[2, 0, 1, 2], &[4]);
    check(
        "index arange, target",
        |t| t[0].index(&[&Tensor::arange(4), &target]),
        &[x.clone()],
    );
    let neg = idx(&[-1, 0, -3, -1], &[4]);
    check(
        "index negative indices",
        |t| t[0].index(&[&Tensor::arange(4), &neg]),
        &[x.clone()],
    );
    let rows = idx(&[3, -4, 1, 3], &[4]);
    check(
        "index one tensor, repeats",
        |t| t[0].index(&[&rows]),
        &[x.clone()],
    );
    let r2 = idx(&[0, 3], &[2, 1]);
    let c2 = idx(&[1, 2, 0], &[3]);
    check(
        "index broadcast index tensors",
        |t| t[0].index(&[&r2, &c2]),
        &[x.clone()],
    );
    check(
        "index of transpose",
        |t| t[0].t().index(&[&idx(&[2, 0], &[2]), &idx(&[3, 3], &[2])]),
        &[x],
    );
    let x3 = uniform(221, &[3, 2, 4], -2.0, 2.0);
    check(
        "index leading dims with trailing dims left",
        |t| t[0].index(&[&idx(&[2, 0, 2], &[3]), &idx(&[1, 1, 0], &[3])]),
        &[x3],
    );
}

#[test]
fn cat_stack() {
    let (a, b, c) = (
        uniform(230, &[2, 3], -2.0, 2.0),
        uniform(231, &[1, 3], -2.0, 2.0),
        uniform(232, &[3, 3], -2.0, 2.0),
    );
    check(
        "cat dim 0",
        |t| Tensor::cat(&[&t[0], &t[1], &t[2]], 0),
        &[a.clone(), b, c],
    );
    let d = uniform(233, &[2, 2], -2.0, 2.0);
    check(
        "cat dim -1",
        |t| Tensor::cat(&[&t[0], &t[1]], -1),
        &[a.clone(), d.clone()],
    );
    check(
        "cat the same tensor twice",
        |t| Tensor::cat(&[&t[0], &t[0]], 1),
        &[a.clone()],
    );
    check(
        "cat transposed",
        |t| Tensor::cat(&[&t[0].t(), &t[1]], 0),
        &[a.clone(), uniform(234, &[2, 2], -2.0, 2.0)],
    );
    let e = uniform(235, &[2, 3], -2.0, 2.0);
    for dim in [0i64, 1, 2, -1, -3] {
        check(
            &format!("stack dim {dim}"),
            |t| Tensor::stack(&[&t[0], &t[1]], dim),
            &[a.clone(), e.clone()],
        );
    }
    check(
        "stack the same tensor",
        |t| Tensor::stack(&[&t[0], &t[1], &t[0]], 1),
        &[a, e],
    );
}

#[test]
fn views() {
    let x = uniform(240, &[2, 3, 4], -2.0, 2.0);
    let one = |case: &str, f: &dyn Fn(&Tensor) -> Tensor| {
        check(case, |t| f(&t[0]), &[x.clone()]);
    };
    one("view", &|x| x.view(&[6, -1]));
    one("view to 1-D", &|x| x.view(&[-1]));
    one("reshape contiguous", &|x| x.reshape(&[4, 6]));
    one("reshape of transpose (copy)", &|x| {
        x.transpose(0, 2).reshape(&[-1, 3])
    });
    one("reshape of permute (view)", &|x| {
        x.permute(&[2, 0, 1]).reshape(&[4, 6])
    });
    one("view of permute", &|x| {
        x.permute(&[2, 0, 1]).view(&[4, 6, 1])
    });
    one("transpose", &|x| x.transpose(0, 2));
    one("transpose negative dims", &|x| x.transpose(-1, -2));
    one("permute", &|x| x.permute(&[1, 2, 0]));
    one("permute negative", &|x| x.permute(&[-1, 0, -2]));
    one("t", &|x| x.select(0, 1).t());
    one("t of 1-D", &|x| x.select(0, 1).select(0, 2).t());
    one("narrow", &|x| x.narrow(2, 1, 2));
    one("narrow dim 0", &|x| x.narrow(0, 1, 1));
    one("narrow negative dim", &|x| x.narrow(-2, 0, 2));
    one("slice", &|x| x.slice(1, 1..));
    one("slice to", &|x| x.slice(-1, ..3));
    one("slice clipped", &|x| x.slice(2, 2..10));
    one("select", &|x| x.select(1, 2));
    one("select negative index", &|x| x.select(2, -1));
    one("select negative dim", &|x| x.select(-3, -2));
    one("unsqueeze", &|x| x.unsqueeze(1));
    one("unsqueeze -1", &|x| x.unsqueeze(-1));
    one("unsqueeze 0", &|x| x.unsqueeze(0));
    one("squeeze", &|x| x.narrow(1, 2, 1).unsqueeze(0).squeeze(..));
    one("squeeze_dim", &|x| x.narrow(1, 2, 1).squeeze(1));
    one("squeeze_dim negative", &|x| x.narrow(2, 0, 1).squeeze(-1));
    one("squeeze_dim no-op", &|x| x.squeeze(0));
    one("expand", &|x| x.narrow(1, 0, 1).expand(&[2, 5, 4]));
    one("expand new leading dims", &|x| x.expand(&[3, 2, 3, 4]));
    one("expand -1", &|x| x.narrow(2, 3, 1).expand(&[-1, -1, 6]));
    one("expand_as", &|x| {
        x.select(0, 0)
            .narrow(0, 1, 1)
            .expand_as(&Tensor::zeros(&[2, 3, 4]))
    });
    one("flatten all", &|x| x.flatten(0, -1));
    one("flatten trailing", &|x| x.flatten(1, -1));
    one("flatten leading", &|x| x.flatten(0, 1));
    one("flatten of transpose", &|x| x.transpose(0, 1).flatten(1, 2));
    one("chain of views", &|x| {
        x.permute(&[2, 1, 0])
            .narrow(1, 1, 2)
            .select(0, 3)
            .unsqueeze(0)
            .expand(&[3, 2, 2])
            .reshape(&[6, 2])
    });
}

#[test]
fn contiguous_deep_clone() {
    let x = uniform(250, &[3, 4], -2.0, 2.0);
    check("contiguous (no-op)", |t| t[0].contiguous(), &[x.clone()]);
    check(
        "contiguous of transpose",
        |t| t[0].t().contiguous(),
        &[x.clone()],
    );
    check("deep_clone", |t| t[0].deep_clone() * 2.0, &[x.clone()]);
    check(
        "deep_clone of narrow",
        |t| t[0].narrow(1, 1, 2).deep_clone(),
        &[x],
    );
}

#[test]
fn to_dtype() {
    let x = uniform(260, &[3, 4], -2.0, 2.0);
    check(
        "to_dtype f64 -> f64",
        |t| t[0].to_dtype(DType::F64),
        &[x.clone()],
    );
    check("double", |t| t[0].double() * &t[0], &[x.clone()]);
    // Through f32 the function is a step function at f32 resolution (2^-24 relative):
    // finite differences need a step of about 1e-3 to see past it, and a looser tolerance.
    let through_f32 = [
        (
            "to_dtype f64 -> f32 -> f64",
            (|t: &[Tensor]| t[0].float().double() * 3.0) as fn(&[Tensor]) -> Tensor,
        ),
        ("f32 exp in the middle", |t: &[Tensor]| {
            t[0].float().exp().double()
        }),
        ("f32 to_dtype method", |t: &[Tensor]| {
            t[0].to_dtype(DType::F32).to_dtype(DType::F64)
        }),
    ];
    for (case, f) in through_f32 {
        if let Err(e) = gradcheck(f, &[x.clone()], 1e-3, 1e-4, 1e-3) {
            panic!("{case}: {e}");
        }
    }
}

/// The tutorial's model: a hand-written log_softmax, then nll by advanced indexing.
#[test]
fn tutorial_log_softmax_nll() {
    let log_softmax = |x: &Tensor| x - &x.exp().sum(-1).log().unsqueeze(-1);
    let target = idx(&[2, 0, 4, 4, 1, 3], &[6]);
    let nll = |input: &Tensor| -input.index(&[&Tensor::arange(6), &target]).mean(..);
    let x = uniform(270, &[6, 5], -3.0, 3.0);
    check("log_softmax", |t| log_softmax(&t[0]), &[x.clone()]);
    check(
        "log_softmax + nll",
        |t| nll(&log_softmax(&t[0])),
        &[x.clone()],
    );
    // With the linear model in front, as in the tutorial: xb @ weights + bias.
    let (w, b) = (
        uniform(271, &[4, 5], -0.5, 0.5),
        uniform(272, &[5], -0.5, 0.5),
    );
    let xb = uniform(273, &[6, 4], 0.0, 1.0);
    check(
        "model + loss",
        |t| nll(&log_softmax(&(t[0].matmul(&t[1]) + &t[2]))),
        &[xb, w, b],
    );
}
