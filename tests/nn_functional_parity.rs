//! Parity with PyTorch for `nn::functional`: replays every case of
//! `tests/fixtures/torch_functional.json` (written by
//! `tools/make_torch_fixtures_functional.py`) in f32 and compares the output and the
//! inputs' gradients after backpropagating the recorded upstream gradient.
//!
//! Only the committed JSON is read: running this needs neither Python nor torch.
use firelight::nn::functional::{
    self as F, Approximate, BceWithLogitsOptions, CrossEntropyOptions, GeluOptions, MseLossOptions,
    NllLossOptions, Reduction,
};
use firelight::{DType, Tensor};
use serde_json::Value;
use std::collections::BTreeMap;

const RTOL: f64 = 1e-5;
const ATOL: f64 = 1e-6;
const FIXTURES: &str = include_str!("fixtures/torch_functional.json");

fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap() as usize)
        .collect();
    let vals = v["values"].as_array().unwrap();
    match v["dtype"].as_str().unwrap() {
        "int64" => Tensor::from_vec(vals.iter().map(|x| x.as_i64().unwrap()).collect(), &shape),
        "float32" => Tensor::from_vec(
            vals.iter().map(|x| x.as_f64().unwrap() as f32).collect(),
            &shape,
        ),
        other => panic!("unknown dtype {other}"),
    }
}

fn reduction(p: &Value) -> Reduction {
    match p["reduction"].as_str().unwrap() {
        "none" => Reduction::None,
        "mean" => Reduction::Mean,
        "sum" => Reduction::Sum,
        other => panic!("unknown reduction {other}"),
    }
}

fn run(op: &str, p: &Value, t: &BTreeMap<String, Tensor>) -> Tensor {
    let get = |k: &str| t.get(k).unwrap_or_else(|| panic!("{op}: no input {k}"));
    let opt = |k: &str| t.get(k).cloned();
    match op {
        "relu" => F::relu(get("x")),
        "leaky_relu" => F::leaky_relu(get("x"), p["negative_slope"].as_f64().unwrap()),
        "gelu" => match p.get("approximate").and_then(Value::as_str) {
            Some("tanh") => {
                F::gelu_with(get("x"), GeluOptions::new().approximate(Approximate::Tanh))
            }
            _ => F::gelu(get("x")),
        },
        "sigmoid" => F::sigmoid(get("x")),
        "tanh" => F::tanh(get("x")),
        "softmax" => F::softmax(get("x"), p["dim"].as_i64().unwrap()),
        "log_softmax" => F::log_softmax(get("x"), p["dim"].as_i64().unwrap()),
        "linear" => F::linear(get("x"), get("w"), t.get("b")),
        "nll_loss" => {
            let o = NllLossOptions::new()
                .ignore_index(p["ignore_index"].as_i64().unwrap())
                .reduction(reduction(p));
            let o = match opt("weight") {
                Some(w) => o.weight(&w),
                None => o,
            };
            F::nll_loss_with(get("input"), get("target"), o)
        }
        "cross_entropy" => {
            let o = CrossEntropyOptions::new()
                .ignore_index(p["ignore_index"].as_i64().unwrap())
                .reduction(reduction(p))
                .label_smoothing(p["label_smoothing"].as_f64().unwrap());
            let o = match opt("weight") {
                Some(w) => o.weight(&w),
                None => o,
            };
            F::cross_entropy_with(get("input"), get("target"), o)
        }
        "mse_loss" => F::mse_loss_with(
            get("input"),
            get("target"),
            MseLossOptions::new().reduction(reduction(p)),
        ),
        "bce_with_logits" => {
            let mut o = BceWithLogitsOptions::new().reduction(reduction(p));
            if let Some(w) = opt("weight") {
                o = o.weight(&w);
            }
            if let Some(pw) = opt("pos_weight") {
                o = o.pos_weight(&pw);
            }
            F::binary_cross_entropy_with_logits_with(get("input"), get("target"), o)
        }
        other => panic!("unknown op {other}"),
    }
}

fn assert_close(what: &str, got: &Tensor, want: &Tensor) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    assert_eq!(got.dtype(), DType::F32, "{what}: dtype");
    let (g, w) = (got.to_vec::<f32>(), want.to_vec::<f32>());
    for (i, (&a, &b)) in g.iter().zip(&w).enumerate() {
        let (a, b) = (a as f64, b as f64);
        assert!(
            (a - b).abs() <= ATOL + RTOL * b.abs() || (a.is_nan() && b.is_nan()),
            "{what}: element {i}: got {a}, PyTorch {b}\n got  {g:?}\n want {w:?}"
        );
    }
}

#[test]
fn every_fixture_matches_pytorch() {
    let root: Value = serde_json::from_str(FIXTURES).unwrap();
    let cases = root["cases"].as_array().unwrap();
    assert!(cases.len() >= 90, "fixtures hold {} cases", cases.len());
    for (n, c) in cases.iter().enumerate() {
        let op = c["op"].as_str().unwrap();
        let what = format!("case {n} {op} {}", c["params"]);
        let grads = c["grads"].as_object().unwrap();
        let inputs: BTreeMap<String, Tensor> = c["inputs"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                let t = tensor(v);
                let t = if grads.contains_key(k) {
                    t.requires_grad_(true)
                } else {
                    t
                };
                (k.clone(), t)
            })
            .collect();
        let out = run(op, &c["params"], &inputs);
        assert_close(&format!("{what} output"), &out, &tensor(&c["output"]));
        out.backward_with(&tensor(&c["grad_output"]), false);
        for (k, g) in grads {
            let got = inputs[k]
                .grad()
                .unwrap_or_else(|| panic!("{what}: no gradient for {k}"));
            assert_close(&format!("{what} grad of {k}"), &got, &tensor(g));
        }
    }
}

#[test]
fn grad_fn_names_are_pytorchs() {
    let x = Tensor::from_vec(vec![0.5f32, -1.0, 2.0, 0.25], &[2, 2]).requires_grad_(true);
    let y = Tensor::from_vec(vec![1i64, 0], &[2]);
    assert_eq!(F::softmax(&x, 1).grad_fn(), Some("SoftmaxBackward0"));
    assert_eq!(F::log_softmax(&x, 1).grad_fn(), Some("LogSoftmaxBackward0"));
    assert_eq!(F::gelu(&x).grad_fn(), Some("GeluBackward0"));
    assert_eq!(F::cross_entropy(&x, &y).grad_fn(), Some("NllLossBackward0"));
    assert_eq!(
        F::nll_loss(&F::log_softmax(&x, 1), &y).grad_fn(),
        Some("NllLossBackward0")
    );
}
