//! The tutorial's three models, built by name.
use firelight::Tensor;
use firelight::nn::{self, Module, Sequential, StateDict, functional as F};

use crate::error::Result;
use crate::fail;

/// Every model name, in the order help and errors list them.
pub const NAMES: [&str; 3] = ["logistic", "mlp", "cnn"];

/// Builds a freshly initialised model; the global generator must be seeded by the caller
/// when the initialisation should be reproducible.
pub fn build(name: &str) -> Result<Sequential> {
    Ok(match name {
        // The tutorial's Mnist_Logistic: one Linear layer on flat 784-pixel rows.
        "logistic" => Sequential::new().add(nn::Linear::new(784, 10)),
        "mlp" => Sequential::new()
            .add(nn::Linear::new(784, 128))
            .add(nn::ReLU)
            .add(nn::Linear::new(128, 10)),
        // The tutorial's Mnist_CNN, in its nn.Sequential form with Lambda preprocessing.
        "cnn" => Sequential::new()
            .add(nn::Lambda::new(|x: &Tensor| x.view(&[-1, 1, 28, 28])))
            .add(nn::Conv2d::new(1, 16, 3).stride(2).padding(1))
            .add(nn::ReLU)
            .add(nn::Conv2d::new(16, 16, 3).stride(2).padding(1))
            .add(nn::ReLU)
            .add(nn::Conv2d::new(16, 10, 3).stride(2).padding(1))
            .add(nn::ReLU)
            .add(nn::Lambda::new(|x: &Tensor| F::avg_pool2d(x, 4)))
            .add(nn::Lambda::new(|x: &Tensor| x.view(&[-1, 10]))),
        other => {
            return Err(fail!(
                "unknown model {other:?}; valid models: {}",
                NAMES.join(", ")
            ));
        }
    })
}

/// Loads `state` into a fresh `name` model, condensing a mismatch into one line that also
/// says which model the checkpoint does fit, if any.
pub fn load(name: &str, state: &StateDict, source: &std::path::Path) -> Result<Sequential> {
    let model = build(name)?;
    load_into(&model, name, state, source)?;
    Ok(model)
}

/// Loads `state` into `model` (a `name` model), with [`load`]'s one-line mismatch message.
pub fn load_into(
    model: &Sequential,
    name: &str,
    state: &StateDict,
    source: &std::path::Path,
) -> Result<()> {
    if let Err(e) = model.load_state_dict(state) {
        let msg = e.to_string();
        let problems: Vec<&str> = msg
            .trim_start_matches("load_state_dict: ")
            .split("; ")
            .collect();
        let hint = match recognise(state) {
            Some(other) => format!(
                "; it is {} {other} checkpoint (use --model {other})",
                article(other)
            ),
            None => String::new(),
        };
        return Err(fail!(
            "{} does not fit model {name}: {}{}{hint}",
            source.display(),
            problems[0],
            match problems.len() {
                1 => String::new(),
                2 => " (and 1 more problem)".to_string(),
                n => format!(" (and {} more problems)", n - 1),
            }
        ));
    }
    Ok(())
}

/// "an mlp" (said em-el-pee), "a cnn", "a logistic": the article before a model's name.
pub fn article(name: &str) -> &'static str {
    match name {
        "mlp" => "an",
        _ => "a",
    }
}

/// The model whose parameter names and shapes `state` matches exactly.
pub fn recognise(state: &StateDict) -> Option<&'static str> {
    NAMES.into_iter().find(|name| {
        let model = build(name).expect("known name");
        let own = model.state_dict();
        own.len() == state.len()
            && own
                .iter()
                .all(|(n, t)| state.get(n).is_some_and(|s| s.shape() == t.shape()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_map_a_batch_to_ten_scores() {
        for name in NAMES {
            let y = build(name).unwrap().forward(&Tensor::rand(&[3, 784]));
            assert_eq!(y.shape(), &[3, 10], "{name}");
        }
    }

    #[test]
    fn each_model_recognises_its_own_state() {
        for name in NAMES {
            assert_eq!(recognise(&build(name).unwrap().state_dict()), Some(name));
        }
    }

    #[test]
    fn unknown_name_lists_the_valid_ones() {
        let Err(e) = build("resnet") else {
            panic!("resnet is not a model")
        };
        let e = e.0;
        assert!(e.contains("logistic, mlp, cnn"), "{e}");
    }
}
