//! Rules for the fused losses: cross-entropy (log_softmax + nll in one pass) and nll.
use crate::Tensor;
use crate::autograd::{Backward, Saved};
use crate::backend::ClassLoss;

/// How the per-sample losses were reduced to the output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Reduced {
    /// Output is the per-sample losses.
    None,
    Sum,
    /// Sum divided by the total weight of the non-ignored targets (saved in `denom`).
    Mean,
}

/// `NllLossBackward0` for [`ClassLoss`]: per sample, the input gradient is
/// `g * (sum(q) * softmax(x) - q)` (cross-entropy) or `-g * q` (nll), where `q` is the
/// weighted, smoothed one-hot target; `g` is the output gradient, divided by the total
/// target weight for a mean.
pub(crate) struct ClassLossBackward {
    pub x: Saved,
    pub target: Tensor,
    pub weight: Option<Tensor>,
    pub spec: ClassLoss,
    pub reduced: Reduced,
    /// The per-sample shape (the target's).
    pub sample_shape: Vec<i64>,
    pub denom: Tensor,
}

impl Backward for ClassLossBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        let x = self.x.get();
        let g = g.to_dtype(x.dtype());
        let per_sample = match self.reduced {
            Reduced::None => g.reshape(&self.sample_shape),
            Reduced::Sum => g.expand(&self.sample_shape),
            Reduced::Mean => (g / &self.denom).expand(&self.sample_shape),
        };
        let w = self.weight.as_ref().map(|w| w.storage());
        let storage = x.storage().class_loss_backward(
            x.layout(),
            &self.target.storage(),
            self.target.layout(),
            w.as_deref().zip(self.weight.as_ref().map(|w| w.layout())),
            &per_sample.storage(),
            per_sample.layout(),
            &self.spec,
        );
        vec![Some(Tensor::from_storage(storage, x.shape()))]
    }
}
