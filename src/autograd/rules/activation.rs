//! Rules for activations with their own node: softmax, log_softmax, gelu.
use crate::Tensor;
use crate::autograd::{Backward, Saved};

/// `SoftmaxBackward0`: `y * (g - sum(g * y))` over `dim`, with `y` the output.
pub(crate) struct SoftmaxBackward {
    pub out: Saved,
    pub dim: i64,
}

impl Backward for SoftmaxBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        let y = self.out.get();
        let s = (g * y).sum_keepdim(self.dim);
        vec![Some(y * (g - s))]
    }
}

/// `LogSoftmaxBackward0`: `g - exp(y) * sum(g)` over `dim`, with `y` the output.
pub(crate) struct LogSoftmaxBackward {
    pub out: Saved,
    pub dim: i64,
}

impl Backward for LogSoftmaxBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        let y = self.out.get();
        vec![Some(g - y.exp() * g.sum_keepdim(self.dim))]
    }
}

/// `GeluBackward0` (exact form): `g * (Phi(x) + x * phi(x))`.
pub(crate) struct GeluBackward {
    pub x: Saved,
}

impl Backward for GeluBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        let x = self.x.get();
        let cdf = (x * std::f64::consts::FRAC_1_SQRT_2).erf() * 0.5 + 0.5;
        let pdf = (x.pow(2) * -0.5).exp()
            * (0.5 * std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2);
        vec![Some(g * (cdf + x * pdf))]
    }
}
