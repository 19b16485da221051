//! `nn::Sequential`: modules applied one after another.
use super::{Module, Visit};
use crate::Tensor;
use std::sync::atomic::{AtomicBool, Ordering};

/// Modules run in order, each on the previous one's output, like `torch.nn.Sequential`.
/// Children are named `"0"`, `"1"`, ... so parameters are `"0.weight"`, `"0.bias"`, ...
///
/// ```
/// use firelight::nn::{Linear, Module, ReLU, Sequential};
/// let model = Sequential::new().add(Linear::new(784, 128)).add(ReLU).add(Linear::new(128, 10));
/// assert_eq!(model.len(), 3);
/// assert_eq!(model.named_parameters()[2].0, "2.weight");
/// assert_eq!(model.forward(&firelight::Tensor::zeros(&[4, 784])).shape(), &[4, 10]);
/// assert_eq!(model[2].parameters()[0].shape(), &[10, 128]);
/// ```
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
    training: AtomicBool,
}

impl Sequential {
    /// An empty sequence (the identity).
    pub fn new() -> Sequential {
        Sequential {
            layers: Vec::new(),
            training: AtomicBool::new(true),
        }
    }

    /// Appends a module (builder style).
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, module: impl Module + 'static) -> Sequential {
        self.layers.push(Box::new(module));
        self
    }

    /// Appends a module in place.
    pub fn push(&mut self, module: impl Module + 'static) {
        self.layers.push(Box::new(module));
    }

    /// The number of modules.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// True when there are no modules.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The modules in order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn Module> {
        self.layers.iter().map(|m| m.as_ref() as &dyn Module)
    }
}

impl Default for Sequential {
    fn default() -> Sequential {
        Sequential::new()
    }
}

impl std::ops::Index<usize> for Sequential {
    type Output = dyn Module + 'static;
    #[track_caller]
    fn index(&self, i: usize) -> &(dyn Module + 'static) {
        match self.layers.get(i) {
            Some(m) => m.as_ref(),
            None => panic!(
                "Sequential: index {i} is out of range for {} modules",
                self.layers.len()
            ),
        }
    }
}

impl Module for Sequential {
    #[track_caller]
    fn forward(&self, x: &Tensor) -> Tensor {
        let mut out = x.clone();
        for m in &self.layers {
            // `forward_tracked`: a library layer's panic names the caller of this forward.
            out = m.forward_tracked(&out);
        }
        out
    }
}

impl Visit for Sequential {
    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        self.layers
            .iter()
            .enumerate()
            .map(|(i, m)| (i.to_string(), m.as_ref() as &dyn Module))
            .collect()
    }

    fn set_own_training(&self, training: bool) {
        self.training.store(training, Ordering::Relaxed);
    }

    fn is_training(&self) -> bool {
        self.training.load(Ordering::Relaxed)
    }
}
