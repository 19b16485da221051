//! Printing tensors: each case is compared with what PyTorch prints for the same tensor
//! (tests/fixtures/display/expected.txt, written by tools/make_display_fixtures.py).
//! Cases printed under other print options are in tests/display_options.rs, because the
//! options are global.
// Values such as 2.3026 (the tutorial's first loss, about ln 10) are data to print.
#![allow(clippy::approx_constant)]
mod display_common;

use display_common::{arange_f32, check_all, f32s};
use firelight::{PrintOptions, Tensor};
use std::time::{Duration, Instant};

const NAN: f64 = f64::NAN;
const INF: f64 = f64::INFINITY;

fn grad_leaf(values: &[f64], shape: &[usize]) -> Tensor {
    f32s(values, shape).requires_grad_(true)
}

fn grad_leaf_f64(values: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_slice(values, shape).requires_grad_(true)
}

fn tenths(n: usize) -> Vec<f64> {
    (1..=n).map(|k| 0.1 * k as f64).collect()
}

#[rustfmt::skip]
const CASES: &[(&str, fn() -> Tensor)] = &[
    ("scalar_f32", || f32s(&[2.3026], &[])),
    ("scalar_neg_grad", || -&grad_leaf(&[-2.3026], &[])),
    ("scalar_i64", || Tensor::scalar(5i64)),
    ("scalar_int_valued", || f32s(&[3.0], &[])),
    ("scalar_f64", || Tensor::scalar(0.1f64)),
    ("scalar_nan", || f32s(&[NAN], &[])),
    ("scalar_bool", || Tensor::scalar(false)),
    ("select_grad", || grad_leaf(&[-2.0842, -2.4712, -2.2010, 0.5, 1.0, 1.5], &[2, 3]).select(0, 0)),
    ("small_1d", || f32s(&[0.1, 0.25, 3.0], &[3])),
    ("int_valued", || f32s(&[1.0, 2.0, -3.0, 100.0], &[4])),
    ("sci_mixed", || f32s(&[1e-5, 1.0, 100.0], &[3])),
    ("sci_big", || f32s(&[1.2345678e8, 1.0], &[2])),
    ("sci_small_min", || f32s(&[5e-5, 6e-5], &[2])),
    ("sci_int_valued_big", || f32s(&[1e9, 1.0], &[2])),
    ("sci_int_valued_ratio", || f32s(&[1.0, 5000.0], &[2])),
    ("fixed_ratio_under_1000", || f32s(&[0.5, 400.25], &[2])),
    ("negatives", || f32s(&[-1.5, 0.25, -100.125], &[3])),
    ("nonfinite", || f32s(&[1.5, NAN, INF, -INF], &[4])),
    ("nonfinite_int_valued", || f32s(&[1.0, NAN, -INF], &[3])),
    ("zeros_and_nan", || f32s(&[0.0, NAN, 0.0], &[3])),
    ("signed_zeros", || f32s(&[0.0, -0.0], &[2])),
    ("sci_with_nan", || f32s(&[1e-6, NAN, 1.0], &[3])),
    ("matrix", || f32s(&[1.0, 2.0, 3.0, 4.0], &[2, 2])),
    ("matrix_fractions", || arange_f32(12).view(&[3, 4]) / 3.0),
    ("cube_i64", || Tensor::arange(24).view(&[2, 3, 4])),
    ("four_dims", || arange_f32(16).view(&[2, 2, 2, 2]) / 2.0),
    ("large_1d_zeros", || Tensor::zeros(&[2000])),
    ("large_1d_i64", || Tensor::arange(5000)),
    ("large_1d_hidden_big", || {
        let mut v = vec![1.5f64; 2000];
        v[1000] = 1e10;
        f32s(&v, &[2000])
    }),
    ("large_2d_zeros", || Tensor::zeros(&[50000, 784])),
    ("large_2d_i64", || Tensor::arange(100000).view(&[1000, 100])),
    ("large_3d", || arange_f32(6000).view(&[10, 20, 30]) / 7.0),
    ("large_transposed", || Tensor::arange(100000).view(&[100, 1000]).t()),
    ("large_columns_only", || arange_f32(5000).view(&[2, 2500])),
    ("i64", || Tensor::from_vec(vec![1i64, -20, 300], &[3])),
    ("u8", || Tensor::from_vec(vec![0u8, 255, 7], &[3])),
    ("u8_matrix", || Tensor::from_vec(vec![1u8, 22, 133, 4], &[2, 2])),
    ("bool", || Tensor::from_vec(vec![true, false, true], &[3])),
    ("bool_all_true", || Tensor::from_vec(vec![true, true], &[2])),
    ("bool_matrix", || Tensor::from_vec(vec![true, false, false, true], &[2, 2])),
    ("f64", || Tensor::from_vec(vec![1.5f64, 2.25], &[2])),
    ("f64_int_valued", || Tensor::from_vec(vec![1.0f64, 2.0], &[2])),
    ("leaf_requires_grad", || grad_leaf(&[1.0, 2.0], &[2])),
    ("grad_mul", || grad_leaf(&[0.5, -1.5, 2.0], &[3]) * 2.0),
    ("grad_sum", || grad_leaf(&[0.5, -1.5, 2.0], &[3]).sum(..)),
    ("grad_mean_f64", || grad_leaf_f64(&[0.5, -1.5, 2.0], &[3]).mean(..)),
    ("suffix_wraps", || grad_leaf_f64(&tenths(8), &[8])),
    ("suffix_wraps_after_rows", || grad_leaf_f64(&[tenths(8), tenths(8)].concat(), &[2, 8]) * 3i64),
    ("empty_1d", || Tensor::zeros(&[0])),
    ("empty_2d", || Tensor::zeros(&[0, 3])),
    ("empty_i64", || Tensor::arange(0)),
    ("empty_bool", || Tensor::from_vec(Vec::<bool>::new(), &[0])),
    ("empty_3d_f64", || Tensor::zeros(&[2, 0, 3]).double()),
    ("empty_requires_grad", || Tensor::zeros(&[0, 2]).requires_grad_(true)),
    ("wrap_1d", || arange_f32(30) / 3.0),
    ("wrap_i64", || Tensor::arange(40) * 1001i64),
    ("wrap_2d", || arange_f32(60).view(&[3, 20]) / 7.0),
    ("wrap_3d_bool", || Tensor::from_vec((0..72).map(|i| i % 18 % 3 == 0).collect(), &[2, 2, 18])),
    ("transposed", || Tensor::arange(6).view(&[2, 3]).t()),
    ("expanded", || f32s(&[1.0, 2.0], &[2]).expand(&[3, 2])),
    ("sliced", || arange_f32(10).slice(0, 2..5) / 4.0),
];

#[test]
fn prints_like_pytorch() {
    let cases: Vec<_> = CASES
        .iter()
        .map(|&(name, build)| (name, PrintOptions::default(), build))
        .collect();
    check_all(&cases, |name| !name.starts_with("opt_"));
}

#[test]
fn display_and_debug_agree() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    assert_eq!(format!("{x}"), "tensor([[1., 2.],\n        [3., 4.]])");
    assert_eq!(format!("{x:?}"), format!("{x}"));
    assert_eq!(x.to_string(), format!("{x}"));
}

#[test]
fn shape_display() {
    let x = Tensor::zeros(&[50000, 784]);
    assert_eq!(format!("{}", x.shape()), "torch.Size([50000, 784])");
    assert_eq!(
        format!("{}", Tensor::scalar(1.0f32).shape()),
        "torch.Size([])"
    );
}

#[test]
fn printing_a_large_tensor_reads_only_the_shown_elements() {
    // 40 million elements: converting them all would take far longer than this budget
    // allows in a debug build; the summary reads 36 of them.
    let x = Tensor::zeros(&[10000, 4000]);
    let start = Instant::now();
    for _ in 0..100 {
        assert!(format!("{x}").contains("..."));
    }
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "100 prints of a 10000x4000 tensor took {:?}",
        start.elapsed()
    );
}

#[test]
fn printing_records_nothing_and_keeps_grad_flags() {
    let w = grad_leaf(&[1.0, 2.0], &[2]);
    let _ = format!("{w}");
    assert!(w.is_leaf() && w.requires_grad() && w.grad().is_none());
}
