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

/// `GeluBackward0`: `g * (Phi(x) + x * phi(x))` for the exact form; for the tanh form,
/// PyTorch's `g * (0.5 (1 + t) + 0.5 x (1 - t^2) beta (1 + 3 kappa x^2))` with
/// `t = tanh(beta (x + kappa x^3))`.
pub(crate) struct GeluBackward {
    pub x: Saved,
    pub tanh: bool,
}

impl Backward for GeluBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        use crate::nn::functional::{GELU_BETA, GELU_KAPPA};
        let x = self.x.get();
        if self.tanh {
            let t = ((x + x.pow(3) * GELU_KAPPA) * GELU_BETA).tanh();
            let left = (&t + 1.0) * 0.5;
            let right =
                x * 0.5 * (1.0 - t.pow(2)) * GELU_BETA * (x.pow(2) * (3.0 * GELU_KAPPA) + 1.0);
            return vec![Some(g * (left + right))];
        }
        let cdf = (x * std::f64::consts::FRAC_1_SQRT_2).erf() * 0.5 + 0.5;
        let pdf = (x.pow(2) * -0.5).exp()
            * (0.5 * std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2);
        vec![Some(g * (cdf + x * pdf))]
    }
}
