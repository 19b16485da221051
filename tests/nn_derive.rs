//! `#[derive(Module)]`: parameters and children registered from the struct's fields.
use firelight::Tensor;
use firelight::nn::{self, Linear, Module, Parameter, ReLU};

/// The tutorial's `Mnist_Logistic`, written with the derive.
#[derive(Module)]
struct MnistLogistic {
    weights: Parameter,
    bias: Parameter,
}

impl MnistLogistic {
    fn forward(&self, xb: &Tensor) -> Tensor {
        xb.matmul(&self.weights) + &*self.bias
    }
}

#[derive(Module)]
struct Mlp {
    lin1: Linear,
    act: ReLU,
    lin2: Linear,
    scale: Option<Parameter>,
    unused: Option<Parameter>,
    #[module(buffer)]
    seen: Tensor,
    #[module(skip)]
    name: &'static str,
    dropout_p: f32,
}

impl Mlp {
    fn forward(&self, x: &Tensor) -> Tensor {
        let h = self.lin2.forward(&self.act.forward(&self.lin1.forward(x)));
        match &self.scale {
            Some(s) => h * &**s,
            None => h,
        }
    }
}

#[test]
fn derive_registers_parameters_in_field_order() {
    let m = MnistLogistic {
        weights: Parameter::new(Tensor::randn(&[784, 10]) / 784f32.sqrt()),
        bias: Parameter::new(Tensor::zeros(&[10])),
    };
    let names: Vec<String> = m.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["weights", "bias"]);
    let loss = Module::forward(&m, &Tensor::rand(&[4, 784])).mean();
    loss.backward();
    assert!(m.parameters().iter().all(|p| p.grad().is_some()));
}

#[test]
fn derive_handles_children_options_buffers_and_plain_fields() {
    let m = Mlp {
        lin1: Linear::new(4, 8),
        act: ReLU,
        lin2: Linear::new(8, 2),
        scale: Some(Parameter::new(Tensor::ones(&[2]))),
        unused: None,
        seen: Tensor::zeros(&[1]),
        name: "mlp",
        dropout_p: 0.5,
    };
    let names: Vec<String> = m.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "scale",
            "lin1.weight",
            "lin1.bias",
            "lin2.weight",
            "lin2.bias"
        ]
    );
    let state = m.state_dict();
    assert_eq!(state.keys().last(), Some(&"seen"));
    assert_eq!(m.forward(&Tensor::zeros(&[3, 4])).shape(), &[3, 2]);
    assert_eq!((m.name, m.dropout_p), ("mlp", 0.5));
    let as_module: &dyn nn::Module = &m;
    assert_eq!(as_module.named_children().len(), 3);
}
