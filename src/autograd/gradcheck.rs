//! Checking analytic gradients against central finite differences in f64.
use crate::{DType, Generator, Tensor};
use std::fmt;

/// A gradient that disagrees with its finite-difference estimate.
#[derive(Debug, Clone)]
pub struct GradcheckError {
    /// Which input (position in the list given to `gradcheck`).
    pub input: usize,
    /// Which element of that input, in row-major order.
    pub element: usize,
    /// The gradient backward computed.
    pub analytic: f64,
    /// The finite-difference estimate.
    pub numeric: f64,
}

impl fmt::Display for GradcheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradcheck: input {} element {}: analytic gradient {} but numeric {}",
            self.input, self.element, self.analytic, self.numeric
        )
    }
}

impl std::error::Error for GradcheckError {}

/// Checks the gradients of `f` at `inputs` (f64 tensors) against central finite
/// differences with step `eps`, element by element: `|analytic - numeric| <= atol +
/// rtol * |numeric|`. The output is reduced with fixed random weights, so every output
/// element takes part. Non-float inputs (indices) are passed through unchanged.
///
/// ```
/// use firelight::{autograd::gradcheck, Tensor};
/// let x = Tensor::from_vec(vec![0.5f64, -1.0, 2.0], &[3]);
/// gradcheck(|t| (&t[0] * &t[0]).exp(), &[x], 1e-6, 1e-5, 1e-4).unwrap();
/// ```
pub fn gradcheck(
    f: impl Fn(&[Tensor]) -> Tensor,
    inputs: &[Tensor],
    eps: f64,
    atol: f64,
    rtol: f64,
) -> Result<(), GradcheckError> {
    let leaves: Vec<Tensor> = inputs
        .iter()
        .map(|x| {
            if x.dtype().is_float() {
                assert_eq!(
                    x.dtype(),
                    DType::F64,
                    "gradcheck: use f64 inputs, got {}",
                    x.dtype()
                );
                x.detach().deep_clone().requires_grad_(true)
            } else {
                x.clone()
            }
        })
        .collect();
    let out = f(&leaves);
    let mut rng = Generator::new(0x5eed);
    let w: Vec<f64> = (0..out.numel()).map(|_| rng.uniform_f64() + 0.5).collect();
    let weights = Tensor::from_vec(w, out.shape());
    let objective = |o: &Tensor| (o.to_dtype(DType::F64) * &weights).sum(..);
    objective(&out).backward();

    for (i, x) in inputs.iter().enumerate() {
        if !x.dtype().is_float() {
            continue;
        }
        let analytic = leaves[i]
            .grad()
            .map(|g| g.to_vec::<f64>())
            .unwrap_or_else(|| vec![0.0; x.numel()]);
        let base = x.to_vec::<f64>();
        for j in 0..base.len() {
            let eval = |delta: f64| {
                let _g = crate::no_grad();
                let mut v = base.clone();
                v[j] += delta;
                let mut args = leaves.iter().map(|l| l.detach()).collect::<Vec<_>>();
                args[i] = Tensor::from_vec(v, x.shape());
                objective(&f(&args)).item::<f64>()
            };
            let numeric = (eval(eps) - eval(-eps)) / (2.0 * eps);
            let a = analytic[j];
            if !((a - numeric).abs() <= atol + rtol * numeric.abs()) {
                return Err(GradcheckError {
                    input: i,
                    element: j,
                    analytic: a,
                    numeric,
                });
            }
        }
    }
    Ok(())
}
