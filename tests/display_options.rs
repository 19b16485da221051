//! `set_printoptions`: cases printed under other options, compared with what PyTorch
//! prints under the same options (tests/fixtures/display/expected.txt). The options are
//! global to the process, so these tests live apart from tests/display.rs and take turns.
// Values such as 2.3026 (the tutorial's first loss, about ln 10) are data to print.
#![allow(clippy::approx_constant)]
mod display_common;

use display_common::{arange_f32, check_all, f32s};
use firelight::{PrintOptions, Tensor, get_printoptions, set_printoptions};
use std::sync::Mutex;

static OPTIONS: Mutex<()> = Mutex::new(());

const DEFAULT: PrintOptions = PrintOptions {
    precision: 4,
    threshold: 1000,
    edgeitems: 3,
    linewidth: 80,
    sci_mode: None,
};

#[rustfmt::skip]
const CASES: &[(&str, PrintOptions, fn() -> Tensor)] = &[
    ("opt_precision_2", PrintOptions { precision: 2, ..DEFAULT }, || f32s(&[1.125, 2.5, 3.14159], &[3])),
    ("opt_precision_0", PrintOptions { precision: 0, ..DEFAULT }, || f32s(&[1.5, 2.25, 10.0], &[3])),
    ("opt_precision_6_sci", PrintOptions { precision: 6, ..DEFAULT }, || f32s(&[1e-5, 1.0], &[2])),
    ("opt_threshold_5", PrintOptions { threshold: 5, ..DEFAULT }, || Tensor::arange(10)),
    ("opt_edgeitems_1", PrintOptions { threshold: 5, edgeitems: 1, ..DEFAULT }, || Tensor::arange(12).view(&[3, 4])),
    ("opt_edgeitems_0_summarized", PrintOptions { threshold: 5, edgeitems: 0, ..DEFAULT }, || Tensor::arange(10)),
    ("opt_edgeitems_0_matrix", PrintOptions { threshold: 5, edgeitems: 0, ..DEFAULT }, || Tensor::zeros(&[4, 4]).double()),
    ("opt_edgeitems_0_small", PrintOptions { edgeitems: 0, ..DEFAULT }, || Tensor::arange(3)),
    ("opt_edgeitems_0_scalar", PrintOptions { edgeitems: 0, ..DEFAULT }, || f32s(&[1.5], &[])),
    ("opt_linewidth_40", PrintOptions { linewidth: 40, ..DEFAULT }, || arange_f32(20) / 3.0),
    ("opt_linewidth_10_matrix", PrintOptions { linewidth: 10, ..DEFAULT }, || Tensor::arange(6).view(&[2, 3])),
    ("opt_sci_true", PrintOptions { sci_mode: Some(true), ..DEFAULT }, || f32s(&[1.5, 2.5], &[2])),
    ("opt_sci_true_int_valued", PrintOptions { sci_mode: Some(true), ..DEFAULT }, || f32s(&[1.0, 20.0], &[2])),
    ("opt_sci_true_zeros", PrintOptions { sci_mode: Some(true), ..DEFAULT }, || f32s(&[0.0, 0.0], &[2])),
    ("opt_sci_false", PrintOptions { sci_mode: Some(false), ..DEFAULT }, || f32s(&[1e-5, 1.0], &[2])),
    ("opt_sci_false_int_valued", PrintOptions { sci_mode: Some(false), ..DEFAULT }, || f32s(&[1e9, 1.0], &[2])),
    ("opt_threshold_at_limit", PrintOptions { threshold: 10, ..DEFAULT }, || Tensor::arange(10)),
    ("opt_threshold_over_limit", PrintOptions { threshold: 10, ..DEFAULT }, || Tensor::arange(11)),
    ("opt_threshold_raised", PrintOptions { threshold: 2000, ..DEFAULT }, || {
        Tensor::from_vec((0..1001).map(|i| i as u8).collect(), &[1001])
    }),
];

#[test]
fn prints_like_pytorch_under_other_options() {
    let _turn = OPTIONS.lock().unwrap_or_else(|e| e.into_inner());
    check_all(CASES, |name| name.starts_with("opt_"));
}

#[test]
fn defaults_are_pytorchs_and_options_stick_until_changed() {
    let _turn = OPTIONS.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(PrintOptions::default(), DEFAULT);
    assert_eq!(get_printoptions(), DEFAULT);
    let short = PrintOptions {
        precision: 2,
        ..DEFAULT
    };
    set_printoptions(short);
    assert_eq!(get_printoptions(), short);
    // Other threads see the same options.
    let printed = std::thread::spawn(|| f32s(&[1.0 / 3.0], &[1]).to_string())
        .join()
        .unwrap();
    assert_eq!(printed, "tensor([0.33])");
    set_printoptions(PrintOptions::default());
    assert_eq!(f32s(&[1.0 / 3.0], &[1]).to_string(), "tensor([0.3333])");
}
