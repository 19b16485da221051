//! Layers against PyTorch's values (tests/fixtures/torch_nn.json, written by
//! tools/make_torch_fixtures_nn.py).
use firelight::Tensor;
use firelight::nn::{BatchNorm1d, BatchNorm2d, Module};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn close(name: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{name}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-5 * w.abs() + 2e-6,
            "{name}[{i}]: got {g}, PyTorch {w}"
        );
    }
}

#[test]
fn batchnorm_matches_pytorch() {
    let fixtures: Value = serde_json::from_str(include_str!("fixtures/torch_nn.json")).unwrap();
    for case in fixtures["batchnorm"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let shape: Vec<usize> = case["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let c = shape[1];
        let momentum = case["momentum"].as_f64().unwrap();
        let bn: Box<dyn Module> = if shape.len() == 4 {
            Box::new(BatchNorm2d::new(c).momentum(momentum))
        } else {
            Box::new(BatchNorm1d::new(c).momentum(momentum))
        };
        let params = bn.parameters();
        {
            let _g = firelight::no_grad();
            params[0].copy_(&Tensor::from_vec(floats(&case["weight"]), &[c]));
            params[1].copy_(&Tensor::from_vec(floats(&case["bias"]), &[c]));
        }
        let x1 = Tensor::from_vec(floats(&case["x1"]), &shape).requires_grad_(true);
        let x2 = Tensor::from_vec(floats(&case["x2"]), &shape);
        let w = Tensor::from_vec(floats(&case["w"]), &shape);
        let y1 = bn.forward(&x1);
        close(
            &format!("{name} y1"),
            &y1.to_vec::<f32>(),
            &floats(&case["y1"]),
        );
        (&y1 * &w).sum(..).backward();
        close(
            &format!("{name} grad x"),
            &x1.grad().unwrap().to_vec::<f32>(),
            &floats(&case["grad_x1"]),
        );
        close(
            &format!("{name} grad weight"),
            &params[0].grad().unwrap().to_vec::<f32>(),
            &floats(&case["grad_weight"]),
        );
        close(
            &format!("{name} grad bias"),
            &params[1].grad().unwrap().to_vec::<f32>(),
            &floats(&case["grad_bias"]),
        );
        bn.forward(&x2);
        let buffers = bn.named_buffers();
        close(
            &format!("{name} running_mean"),
            &buffers[0].1.to_vec::<f32>(),
            &floats(&case["running_mean"]),
        );
        close(
            &format!("{name} running_var"),
            &buffers[1].1.to_vec::<f32>(),
            &floats(&case["running_var"]),
        );
        assert_eq!(buffers[2].1.item::<i64>(), 2);
        bn.eval();
        close(
            &format!("{name} eval"),
            &bn.forward(&x2).to_vec::<f32>(),
            &floats(&case["y_eval"]),
        );
    }
}
