//! Module, Parameter, layers, state dicts and checkpoints.
mod common;

use firelight::nn::{
    self, Flatten, Lambda, Linear, Module, Parameter, ReLU, Sequential, StateDict, Visit,
};
use firelight::{Tensor, no_grad};

/// The tutorial's `Mnist_Logistic`, with parameters registered by hand.
struct MnistLogistic {
    weights: Parameter,
    bias: Parameter,
}

impl MnistLogistic {
    fn new() -> MnistLogistic {
        MnistLogistic {
            weights: Parameter::new(Tensor::randn(&[784, 10]) / 784f32.sqrt()),
            bias: Parameter::new(Tensor::zeros(&[10])),
        }
    }
}

impl Module for MnistLogistic {
    fn forward(&self, xb: &Tensor) -> Tensor {
        xb.matmul(&self.weights) + &*self.bias
    }
}

impl Visit for MnistLogistic {
    fn named_own_parameters(&self) -> Vec<(String, Tensor)> {
        vec![
            ("weights".into(), self.weights.tensor().clone()),
            ("bias".into(), self.bias.tensor().clone()),
        ]
    }
}

fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("firelight-nn-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("model.safetensors")
}

#[test]
fn hand_written_module_trains_with_parameters() {
    let model = MnistLogistic::new();
    assert_eq!(model.num_parameters(), 7850);
    let xb = Tensor::rand(&[8, 784]);
    let loss = model.forward(&xb).pow(2).mean(..);
    loss.backward();
    let before = model.weights.to_vec::<f32>();
    {
        let _g = no_grad();
        for p in model.parameters() {
            p.sub_(p.grad().unwrap() * 0.5);
        }
    }
    model.zero_grad();
    assert!(model.parameters().iter().all(|p| p.grad().is_none()));
    assert_ne!(before, model.weights.to_vec::<f32>());
}

#[test]
fn sequential_names_children_like_pytorch() {
    let model = Sequential::new()
        .add(Lambda::new(|x: &Tensor| x.view(&[-1, 784])))
        .add(Linear::new(784, 16))
        .add(ReLU)
        .add(Linear::new(16, 10).bias(false))
        .add(Flatten::new());
    let names: Vec<String> = model
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["1.weight", "1.bias", "3.weight"]);
    assert_eq!(model.num_parameters(), 784 * 16 + 16 + 160);
    assert_eq!(
        model.forward(&Tensor::zeros(&[2, 28, 28])).shape(),
        &[2, 10]
    );
    assert_eq!(model.iter().count(), 5);
}

#[test]
fn train_and_eval_reach_nested_modules() {
    let inner = Sequential::new().add(ReLU);
    let outer = Sequential::new().add(inner).add(Linear::new(2, 2));
    assert!(outer.is_training());
    outer.eval();
    assert!(!outer.is_training());
    assert!(!outer.named_children()[0].1.is_training());
    outer.train();
    assert!(outer.named_children()[0].1.is_training());
}

#[test]
fn linear_uses_pytorch_default_init_bounds() {
    firelight::manual_seed(3);
    let lin = Linear::new(400, 50);
    let bound = 1.0 / 20.0;
    let w = lin.weight.to_vec::<f32>();
    assert!(w.iter().all(|v| v.abs() <= bound));
    // Uniform on [-b, b] has standard deviation b / sqrt(3).
    let std = (w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt();
    assert!((std - bound / 3f32.sqrt()).abs() < 0.002, "std {std}");
    let b = lin.bias.as_ref().unwrap().to_vec::<f32>();
    assert!(b.iter().all(|v| v.abs() <= bound));
}

#[test]
fn linear_matches_manual_formula_and_gradients() {
    let lin = Linear::new(3, 2);
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[1, 3]);
    let y = lin.forward(&x);
    let manual = x.matmul(&lin.weight.t()) + &**lin.bias.as_ref().unwrap();
    assert_eq!(y.to_vec::<f32>(), manual.to_vec::<f32>());
    y.sum(..).backward();
    assert_eq!(
        lin.weight.grad().unwrap().to_vec::<f32>(),
        vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0]
    );
    assert_eq!(
        lin.bias.as_ref().unwrap().grad().unwrap().to_vec::<f32>(),
        vec![1.0, 1.0]
    );
}

#[test]
fn state_dict_round_trips_through_safetensors() {
    let a = Sequential::new()
        .add(Linear::new(4, 3))
        .add(ReLU)
        .add(Linear::new(3, 2));
    let path = temp_path("roundtrip");
    a.state_dict().save(&path).unwrap();
    // Saving again over an existing file replaces it, leaving no temporary file behind.
    a.state_dict().save(&path).unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(leftovers.len(), 1);
    let loaded = StateDict::load(&path).unwrap();
    assert_eq!(loaded.keys(), ["0.weight", "0.bias", "2.weight", "2.bias"]);
    let b = Sequential::new()
        .add(Linear::new(4, 3))
        .add(ReLU)
        .add(Linear::new(3, 2));
    b.load_state_dict(&loaded).unwrap();
    let x = Tensor::rand(&[5, 4]);
    assert_eq!(a.forward(&x).to_vec::<f32>(), b.forward(&x).to_vec::<f32>());
    // Loading copies into the existing parameters: they stay leaves that require grad.
    assert!(
        b.parameters()
            .iter()
            .all(|p| p.is_leaf() && p.requires_grad())
    );
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn load_state_dict_lists_every_problem_and_changes_nothing() {
    let model = Sequential::new()
        .add(Linear::new(4, 3))
        .add(Linear::new(3, 2));
    let before = model.parameters()[0].to_vec::<f32>();
    let mut sd = StateDict::new();
    sd.insert("0.weight", Tensor::zeros(&[3, 5]));
    sd.insert("0.bias", Tensor::zeros(&[3]).double());
    sd.insert("1.bias", Tensor::zeros(&[2]));
    sd.insert("extra.weight", Tensor::zeros(&[1]));
    let err = model.load_state_dict(&sd).unwrap_err().to_string();
    for part in [
        "size mismatch for \"0.weight\"",
        "dtype mismatch for \"0.bias\"",
        "missing key \"1.weight\"",
        "unexpected key \"extra.weight\"",
    ] {
        assert!(err.contains(part), "{part} not in: {err}");
    }
    assert_eq!(model.parameters()[0].to_vec::<f32>(), before);
}

#[test]
fn checkpoint_errors_name_the_file() {
    let path = temp_path("corrupt");
    std::fs::write(&path, b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}").unwrap();
    let err = StateDict::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("model.safetensors") && err.contains("not a valid safetensors"),
        "{err}"
    );
    let missing = path.with_file_name("missing.safetensors");
    assert!(
        StateDict::load(&missing)
            .unwrap_err()
            .to_string()
            .contains("missing.safetensors")
    );
    let unwritable = path.with_file_name("no-such-dir").join("m.safetensors");
    assert!(
        StateDict::new()
            .save(&unwritable)
            .unwrap_err()
            .to_string()
            .contains("no-such-dir")
    );
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn init_functions_respect_their_bounds() {
    let w = Tensor::zeros(&[64, 32, 3, 3]);
    let (fan_in, fan_out) = nn::init::calculate_fan_in_and_fan_out(&w);
    assert_eq!((fan_in, fan_out), (288, 576));
    nn::init::xavier_uniform_(&w, 1.0);
    assert!(w.abs().max(..).item::<f64>() <= (6.0 / 864.0f64).sqrt());
    nn::init::kaiming_normal_(&w, 0.0, nn::init::FanMode::FanIn);
    let std = w.pow(2).mean(..).sqrt().item::<f64>();
    assert!((std - (2.0 / 288.0f64).sqrt()).abs() < 0.005, "std {std}");
    nn::init::constant_(&w, 0.25);
    assert_eq!(w.sum(..).item::<f32>(), 0.25 * w.numel() as f32);
}

#[test]
fn tutorial_cnn_runs_and_learns() {
    use firelight::nn::functional as F;
    use firelight::optim::{Optimizer, Sgd};
    firelight::manual_seed(1);
    let model = common::tutorial_cnn();
    let names: Vec<String> = model
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        names,
        [
            "1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"
        ]
    );
    let mut opt = Sgd::new(model.parameters(), 0.1).momentum(0.9);
    let xb = Tensor::rand(&[32, 784]);
    let yb = Tensor::randint(0, 10, &[32]);
    let first = F::cross_entropy(&model.forward(&xb), &yb).item::<f32>();
    for _ in 0..30 {
        let loss = F::cross_entropy(&model.forward(&xb), &yb);
        loss.backward();
        opt.step();
        opt.zero_grad();
    }
    let last = F::cross_entropy(&model.forward(&xb), &yb).item::<f32>();
    assert!(last < first - 0.1, "loss went from {first} to {last}");
}

#[test]
fn conv2d_layer_uses_pytorch_init_and_functional_op() {
    use firelight::nn::Conv2d;
    use firelight::nn::functional::{self as F, Conv2dOptions};
    let conv = Conv2d::new(16, 8, 3).stride(2).padding(1);
    let bound = 1.0 / (16.0f32 * 9.0).sqrt();
    assert!(conv.weight.abs().max(..).item::<f32>() <= bound);
    let x = Tensor::randn(&[2, 16, 7, 7]);
    let opts = Conv2dOptions::default().stride(2).padding(1);
    let want = F::conv2d_with(&x, &conv.weight, conv.bias.as_deref(), opts);
    assert_eq!(conv.forward(&x).to_vec::<f32>(), want.to_vec::<f32>());
    let grouped = Conv2d::new(16, 8, 3).groups(4).bias(false);
    assert_eq!(grouped.weight.shape(), &[8, 4, 3, 3]);
    assert!(grouped.bias.is_none());
}
