//! Parity with PyTorch for conv2d and pooling: replays `tests/fixtures/torch_conv.json`
//! (written by `tools/make_torch_fixtures_conv.py`) and compares outputs and the
//! gradients of every input after backpropagating the recorded upstream gradient.
//!
//! Only the committed JSON is read: running this needs neither Python nor torch.
use firelight::Tensor;
use firelight::nn::functional::{self as F, AvgPool2dOptions, Conv2dOptions, MaxPool2dOptions};
use serde_json::Value;
use std::collections::BTreeMap;

/// float32 results may differ from PyTorch's in summation order, not more; values near
/// zero (sums that cancel) get a small absolute tolerance.
const RTOL: f64 = 1e-5;
const ATOL: f64 = 1e-5;

const FIXTURES: &str = include_str!("fixtures/torch_conv.json");

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn pair(v: &Value) -> (usize, usize) {
    let p = usizes(v);
    (p[0], p[1])
}

fn tensor(v: &Value) -> Tensor {
    let vals: Vec<f32> = v["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    Tensor::from_vec(vals, &usizes(&v["shape"]))
}

fn assert_close(case: &str, what: &str, got: &Tensor, want: &Value) {
    let shape = usizes(&want["shape"]);
    assert_eq!(got.shape(), &shape[..], "{case}: {what} shape");
    let got = got.to_vec::<f32>();
    for (i, (g, w)) in got
        .iter()
        .zip(want["values"].as_array().unwrap())
        .enumerate()
    {
        let (g, w) = (*g as f64, w.as_f64().unwrap());
        assert!(
            (g - w).abs() <= ATOL + RTOL * w.abs(),
            "{case}: {what}[{i}] is {g}, PyTorch gives {w}"
        );
    }
}

fn run(c: &Value, t: &BTreeMap<String, Tensor>) -> Tensor {
    let p = &c["params"];
    let x = &t["x"];
    match c["op"].as_str().unwrap() {
        "conv2d" => {
            let o = Conv2dOptions::new()
                .stride(pair(&p["stride"]))
                .padding(pair(&p["padding"]))
                .dilation(pair(&p["dilation"]))
                .groups(p["groups"].as_u64().unwrap() as usize);
            F::conv2d_with(x, &t["w"], t.get("b"), o)
        }
        "cnn" => {
            let o = Conv2dOptions::new().stride(2).padding(1);
            let h = F::conv2d_with(x, &t["w1"], Some(&t["b1"]), o).relu();
            assert_eq!(h.shape(), &[2, 16, 14, 14]);
            let h = F::conv2d_with(&h, &t["w2"], Some(&t["b2"]), o).relu();
            assert_eq!(h.shape(), &[2, 16, 7, 7]);
            let h = F::conv2d_with(&h, &t["w3"], Some(&t["b3"]), o).relu();
            assert_eq!(h.shape(), &[2, 10, 4, 4]);
            F::avg_pool2d(&h, 4).view(&[-1, 10])
        }
        "avg_pool2d" => {
            let o = AvgPool2dOptions::new()
                .stride(pair(&p["stride"]))
                .padding(pair(&p["padding"]))
                .ceil_mode(p["ceil_mode"].as_bool().unwrap())
                .count_include_pad(p["count_include_pad"].as_bool().unwrap());
            let o = match p.get("divisor_override").and_then(Value::as_u64) {
                Some(d) => o.divisor_override(d as usize),
                None => o,
            };
            F::avg_pool2d_with(x, pair(&p["kernel_size"]), o)
        }
        "max_pool2d" => {
            let o = MaxPool2dOptions::new()
                .stride(pair(&p["stride"]))
                .padding(pair(&p["padding"]))
                .dilation(pair(&p["dilation"]))
                .ceil_mode(p["ceil_mode"].as_bool().unwrap());
            F::max_pool2d_with(x, pair(&p["kernel_size"]), o)
        }
        "adaptive_avg_pool2d" => F::adaptive_avg_pool2d(x, pair(&p["output_size"])),
        other => panic!("unknown op {other}"),
    }
}

#[test]
fn conv_and_pooling_match_pytorch() {
    let root: Value = serde_json::from_str(FIXTURES).unwrap();
    let cases = root["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let inputs: BTreeMap<String, Tensor> = c["inputs"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), tensor(v).requires_grad_(true)))
            .collect();
        let out = run(c, &inputs);
        assert_close(name, "output", &out, &c["output"]);
        out.backward_with(&tensor(&c["grad_output"]), false);
        for (k, want) in c["grads"].as_object().unwrap() {
            let g = inputs[k]
                .grad()
                .unwrap_or_else(|| panic!("{name}: no gradient for {k}"));
            assert_close(name, &format!("grad of {k}"), &g, want);
        }
    }
}

#[test]
fn grad_fn_names_are_pytorchs() {
    let x = Tensor::randn(&[1, 2, 4, 4]).requires_grad_(true);
    let w = Tensor::randn(&[2, 2, 3, 3]);
    let c = Conv2dOptions::new();
    assert_eq!(
        F::conv2d_with(&x, &w, None, c).grad_fn(),
        Some("ConvolutionBackward0")
    );
    let a = F::avg_pool2d(&x, 2);
    assert_eq!(a.grad_fn(), Some("AvgPool2DBackward0"));
    let m = F::max_pool2d(&x, 2);
    assert_eq!(m.grad_fn(), Some("MaxPool2DWithIndicesBackward0"));
    let p = F::adaptive_avg_pool2d(&x, 3);
    assert_eq!(p.grad_fn(), Some("AdaptiveAvgPool2DBackward0"));
}

#[test]
fn tutorial_shapes_at_batch_64() {
    let o = Conv2dOptions::new().stride(2).padding(1);
    let x = Tensor::randn(&[64, 1, 28, 28]);
    let h = F::conv2d_with(&x, &Tensor::randn(&[16, 1, 3, 3]), None, o);
    assert_eq!(h.shape(), &[64, 16, 14, 14]);
    let h = F::conv2d_with(&h, &Tensor::randn(&[16, 16, 3, 3]), None, o);
    assert_eq!(h.shape(), &[64, 16, 7, 7]);
    let h = F::conv2d_with(&h, &Tensor::randn(&[10, 16, 3, 3]), None, o);
    assert_eq!(h.shape(), &[64, 10, 4, 4]);
    let y = F::avg_pool2d(&h, 4);
    assert_eq!(y.shape(), &[64, 10, 1, 1]);
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let o = Conv2dOptions::new().stride(2).padding(1);
    let x = Tensor::randn(&[64, 16, 14, 14]);
    let w0 = Tensor::randn(&[16, 16, 3, 3]);
    let run = |threads| {
        firelight::set_num_threads(threads);
        let w = w0.detach().deep_clone().requires_grad_(true);
        let xi = x.detach().deep_clone().requires_grad_(true);
        let y = F::conv2d_with(&xi, &w, None, o);
        (&y * &y).sum(..).backward();
        (
            y.to_vec::<f32>(),
            w.grad().unwrap().to_vec::<f32>(),
            xi.grad().unwrap().to_vec::<f32>(),
        )
    };
    let one = run(1);
    let two = run(2);
    let again = run(2);
    firelight::set_num_threads(0);
    assert_eq!(one, two);
    assert_eq!(two, again);
}

fn panics(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let e = std::panic::catch_unwind(f).expect_err("expected a panic");
    e.downcast_ref::<String>().cloned().unwrap_or_default()
}

#[test]
fn bad_input_panics_naming_op_and_shapes() {
    let c = Conv2dOptions::new();
    let m = panics(|| {
        F::conv2d_with(
            &Tensor::zeros(&[1, 3, 5, 5]),
            &Tensor::zeros(&[4, 2, 3, 3]),
            None,
            c,
        );
    });
    assert!(
        m.contains("conv2d") && m.contains("[4, 2, 3, 3]") && m.contains("[1, 3, 5, 5]"),
        "{m}"
    );
    let m = panics(|| {
        F::conv2d_with(
            &Tensor::zeros(&[1, 1, 2, 2]),
            &Tensor::zeros(&[4, 1, 3, 3]),
            None,
            c,
        );
    });
    assert!(
        m.contains("conv2d") && m.contains("can't be greater"),
        "{m}"
    );
    let m = panics(|| {
        let g = Conv2dOptions::new().groups(3);
        F::conv2d_with(
            &Tensor::zeros(&[1, 6, 5, 5]),
            &Tensor::zeros(&[4, 2, 3, 3]),
            None,
            g,
        );
    });
    assert!(m.contains("divisible by groups"), "{m}");
    let m = panics(|| {
        F::avg_pool2d(&Tensor::zeros(&[1, 1, 2, 2]), 3);
    });
    assert!(
        m.contains("avg_pool2d") && m.contains("[1, 1, 2, 2]"),
        "{m}"
    );
    let m = panics(|| {
        F::max_pool2d(&Tensor::zeros(&[4, 4]), 2);
    });
    assert!(m.contains("max_pool2d") && m.contains("[4, 4]"), "{m}");
}
