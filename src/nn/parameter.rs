//! `nn::Parameter`: a tensor that a module owns and an optimizer updates.
use crate::Tensor;
use std::ops::Deref;

/// A leaf tensor that requires grad and belongs to a module, like `torch.nn.Parameter`.
/// It dereferences to [`Tensor`], so every tensor op works on it.
///
/// ```
/// use firelight::{nn::Parameter, Tensor};
/// let w = Parameter::new(Tensor::zeros(&[3]));
/// assert!(w.requires_grad() && w.is_leaf());
/// assert_eq!((&*w + 1.0).sum(..).item::<f32>(), 3.0);
/// ```
#[derive(Clone)]
pub struct Parameter(Tensor);

impl Parameter {
    /// Wraps `t` (detached from any graph) and turns on `requires_grad`.
    pub fn new(t: Tensor) -> Parameter {
        let t = t.detach();
        t.requires_grad_(true);
        Parameter(t)
    }

    /// The tensor handle (shares storage with the parameter).
    pub fn tensor(&self) -> &Tensor {
        &self.0
    }
}

impl Deref for Parameter {
    type Target = Tensor;
    fn deref(&self) -> &Tensor {
        &self.0
    }
}

impl std::fmt::Display for Parameter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Parameter containing:\n{}", self.0)
    }
}

impl std::fmt::Debug for Parameter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}
