//! `#[derive(Module)]`: parameters and children registered from the struct's fields, with
//! `forward` in `impl Module`. (The wrong ways — `impl Module` without the derive, the
//! derive with an inherent `forward` — are `compile_fail` doctests on `nn::Visit` and
//! `nn::Module`.)
use firelight::Tensor;
use firelight::nn::{self, Linear, Module, Parameter, ReLU, Visit};
use firelight::optim::{Optimizer, Sgd};

/// The model, written as a PyTorch user writes it: two layers, `forward` in the
/// trait impl.
#[derive(Module)]
struct Net {
    l1: Linear,
    l2: Linear,
}

impl Module for Net {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.l2.forward(&self.l1.forward(x).relu())
    }
}

/// Tuple and unit structs: fields are named by position; a unit struct holds nothing.
#[derive(Module)]
struct Pair(Linear, Parameter);

impl Module for Pair {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.0.forward(x) * &*self.1
    }
}

#[derive(Module)]
struct Square;

impl Module for Square {
    fn forward(&self, x: &Tensor) -> Tensor {
        x * x
    }
}

#[test]
fn derive_with_forward_in_the_trait_impl_trains_every_parameter() {
    firelight::manual_seed(0);
    let model = Net {
        l1: Linear::new(4, 8),
        l2: Linear::new(8, 2),
    };
    let names: Vec<String> = model
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["l1.weight", "l1.bias", "l2.weight", "l2.bias"]);
    let mut opt = Sgd::new(model.parameters(), 0.1);
    let before: Vec<Vec<f32>> = model.parameters().iter().map(|p| p.to_vec()).collect();
    let x = Tensor::randn(&[16, 4]);
    model.forward(&x).pow(2).mean(..).backward();
    opt.step();
    let after: Vec<Vec<f32>> = model.parameters().iter().map(|p| p.to_vec()).collect();
    for (name, (b, a)) in names.iter().zip(before.iter().zip(&after)) {
        assert_ne!(b, a, "{name} did not move");
    }
    // The same model through `&dyn Module`, as a generic fit() takes it.
    let as_dyn: &dyn Module = &model;
    assert_eq!(as_dyn.forward(&x).shape(), &[16, 2]);
    assert_eq!(as_dyn.parameters().len(), 4);
}

#[test]
fn derive_names_tuple_fields_by_position_and_unit_structs_hold_nothing() {
    let pair = Pair(Linear::new(3, 2), Parameter::new(Tensor::ones(&[2])));
    let names: Vec<String> = pair
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["1", "0.weight", "0.bias"]);
    assert_eq!(pair.forward(&Tensor::ones(&[1, 3])).shape(), &[1, 2]);
    assert!(Square.parameters().is_empty() && Square.named_children().is_empty());
    assert_eq!(
        Square.forward(&Tensor::full(&[2], 3.0)).to_vec::<f32>(),
        vec![9.0, 9.0]
    );
}

/// The tutorial's `Mnist_Logistic`, written with the derive.
#[derive(Module)]
struct MnistLogistic {
    weights: Parameter,
    bias: Parameter,
}

impl Module for MnistLogistic {
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

impl Module for Mlp {
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
    let loss = Module::forward(&m, &Tensor::rand(&[4, 784])).mean(..);
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

/// A container without `forward`, as a PyTorch module that only groups others: the
/// derive's inherent methods list, switch, save and clear its parameters all the same.
#[derive(Module)]
struct Gan {
    generator: Linear,
    discriminator: nn::Sequential,
}

#[test]
fn a_derived_struct_without_forward_still_lists_and_saves_its_parameters() {
    let gan = Gan {
        generator: Linear::new(2, 4),
        discriminator: nn::Sequential::new()
            .add(Linear::new(4, 1))
            .add(nn::Dropout::new(0.5)),
    };
    let names: Vec<String> = gan.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "generator.weight",
            "generator.bias",
            "discriminator.0.weight",
            "discriminator.0.bias"
        ]
    );
    assert_eq!(gan.num_parameters(), 8 + 4 + 4 + 1);
    assert_eq!(gan.state_dict().len(), 4);
    gan.eval();
    assert!(!gan.discriminator[1].is_training());
    gan.train();
    assert!(gan.discriminator[1].is_training());
    gan.discriminator
        .forward(&gan.generator.forward(&Tensor::ones(&[3, 2])))
        .sum(..)
        .backward();
    assert!(gan.parameters().iter().all(|p| p.grad().is_some()));
    gan.zero_grad();
    assert!(gan.parameters().iter().all(|p| p.grad().is_none()));
    let other = Gan {
        generator: Linear::new(2, 4),
        discriminator: nn::Sequential::new()
            .add(Linear::new(4, 1))
            .add(nn::Dropout::new(0.5)),
    };
    other.load_state_dict(&gan.state_dict()).unwrap();
    assert_eq!(
        other.generator.weight.to_vec::<f32>(),
        gan.generator.weight.to_vec::<f32>()
    );
}
