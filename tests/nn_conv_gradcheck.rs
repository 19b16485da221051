//! conv2d and the pooling ops checked against central finite differences in f64.
//!
//! Max pooling inputs are distinct values (no ties), where the gradient is well defined.
use firelight::autograd::gradcheck;
use firelight::nn::functional::{self as F, AvgPool2dOptions, Conv2dOptions, MaxPool2dOptions};
use firelight::{Generator, Tensor};

fn check(case: &str, f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) {
    if let Err(e) = gradcheck(f, inputs, 1e-6, 1e-7, 1e-6) {
        panic!("{case}: {e}");
    }
}

fn randn(seed: u64, shape: &[usize]) -> Tensor {
    let mut g = Generator::new(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|_| 2.0 * g.uniform_f64() - 1.0).collect();
    Tensor::from_vec(v, shape)
}

/// Distinct shuffled values 0.1 apart: no ties for max pooling.
fn distinct(seed: u64, shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let order = Generator::new(seed).randperm(n);
    let v: Vec<f64> = order.iter().map(|&i| i as f64 * 0.1 - 1.0).collect();
    Tensor::from_vec(v, shape)
}

fn conv_case(case: &str, x: &[usize], w: &[usize], bias: bool, o: Conv2dOptions) {
    let mut inputs = vec![randn(1, x), randn(2, w)];
    if bias {
        inputs.push(randn(3, &[w[0]]));
    }
    check(case, |t| F::conv2d_with(&t[0], &t[1], t.get(2), o), &inputs);
}

#[test]
fn conv2d_default() {
    conv_case(
        "default",
        &[2, 3, 5, 5],
        &[4, 3, 3, 3],
        true,
        Conv2dOptions::new(),
    );
}

#[test]
fn conv2d_stride_padding() {
    let o = Conv2dOptions::new().stride(2).padding(1);
    conv_case("stride 2 padding 1", &[2, 2, 6, 5], &[3, 2, 3, 3], true, o);
}

#[test]
fn conv2d_tutorial_layer() {
    let o = Conv2dOptions::new().stride(2).padding(1);
    conv_case("tutorial 16->10", &[2, 4, 7, 7], &[3, 4, 3, 3], true, o);
}

#[test]
fn conv2d_dilation_non_square() {
    let o = Conv2dOptions::new()
        .stride((1, 2))
        .padding((2, 1))
        .dilation((2, 1));
    conv_case(
        "dilation, non-square",
        &[1, 2, 6, 7],
        &[3, 2, 2, 3],
        true,
        o,
    );
}

#[test]
fn conv2d_groups_no_bias() {
    let o = Conv2dOptions::new().groups(2).padding(1);
    conv_case("groups 2, no bias", &[2, 4, 4, 5], &[6, 2, 3, 3], false, o);
}

#[test]
fn conv2d_pointwise_and_3d_input() {
    conv_case(
        "1x1",
        &[2, 3, 3, 4],
        &[2, 3, 1, 1],
        true,
        Conv2dOptions::new(),
    );
    conv_case(
        "3-D input",
        &[3, 5, 4],
        &[2, 3, 2, 2],
        true,
        Conv2dOptions::new(),
    );
}

#[test]
fn conv2d_only_weight_needs_grad() {
    let x = randn(1, &[2, 2, 5, 5]);
    let w = randn(2, &[3, 2, 3, 3]).requires_grad_(true);
    F::conv2d_with(&x, &w, None, Conv2dOptions::new())
        .sum(..)
        .backward();
    assert_eq!(w.grad().unwrap().shape(), &[3, 2, 3, 3]);
    assert!(x.grad().is_none());
}

#[test]
fn avg_pool2d_options() {
    let cases = [
        ("k2", ((2, 2), AvgPool2dOptions::new())),
        (
            "k3 s1 p1",
            ((3, 3), AvgPool2dOptions::new().stride(1).padding(1)),
        ),
        (
            "k3 s2 p1 no pad count",
            (
                (3, 3),
                AvgPool2dOptions::new()
                    .stride(2)
                    .padding(1)
                    .count_include_pad(false),
            ),
        ),
        ("ceil", ((2, 2), AvgPool2dOptions::new().ceil_mode(true))),
        (
            "ceil pad non-square",
            (
                (3, 2),
                AvgPool2dOptions::new()
                    .stride((2, 1))
                    .padding((1, 0))
                    .ceil_mode(true),
            ),
        ),
    ];
    for (case, (k, o)) in cases {
        check(
            case,
            |t| F::avg_pool2d_with(&t[0], k, o),
            &[randn(4, &[2, 2, 5, 6])],
        );
    }
}

#[test]
fn max_pool2d_options() {
    let cases = [
        ("k2", ((2, 2), MaxPool2dOptions::new())),
        (
            "k3 s1 p1",
            ((3, 3), MaxPool2dOptions::new().stride(1).padding(1)),
        ),
        (
            "dilation",
            ((2, 2), MaxPool2dOptions::new().dilation(2).stride(1)),
        ),
        ("ceil", ((2, 2), MaxPool2dOptions::new().ceil_mode(true))),
        (
            "non-square",
            (
                (3, 2),
                MaxPool2dOptions::new()
                    .stride((2, 1))
                    .padding((1, 0))
                    .ceil_mode(true),
            ),
        ),
    ];
    for (case, (k, o)) in cases {
        check(
            case,
            |t| F::max_pool2d_with(&t[0], k, o),
            &[distinct(5, &[2, 2, 5, 6])],
        );
    }
}

#[test]
fn adaptive_avg_pool2d_sizes() {
    for (oh, ow) in [(1, 1), (2, 3), (3, 4), (4, 6), (7, 5)] {
        check(
            &format!("adaptive ({oh}, {ow})"),
            |t| F::adaptive_avg_pool2d(&t[0], (oh, ow)),
            &[randn(6, &[2, 2, 5, 6])],
        );
    }
}
