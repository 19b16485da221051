//! Gradient clipping, as `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`.
use crate::Tensor;

/// Scales the gradients of `params` in place so that their total `norm_type`-norm (the
/// norm of the per-parameter norms) is at most `max_norm`, and returns that total norm
/// (before clipping) as a zero-dim tensor, as PyTorch does.
///
/// `norm_type` is any `p > 0`, or `f64::INFINITY` for the largest absolute value. The
/// gradients are multiplied by `min(max_norm / (total + 1e-6), 1)`. Parameters without a
/// gradient are skipped; with none at all the norm is 0.
///
/// ```
/// use firelight::Tensor;
/// use firelight::optim::clip_grad_norm_;
/// let w = Tensor::zeros(&[2]).requires_grad_(true);
/// w.set_grad(Some(Tensor::tensor([3.0, 4.0])));
/// let total = clip_grad_norm_(&[w.clone()], 1.0, 2.0);
/// assert_eq!(total.item::<f32>(), 5.0);
/// let g = w.grad().unwrap().to_vec::<f32>();
/// assert!((g[0] - 0.6).abs() < 1e-5 && (g[1] - 0.8).abs() < 1e-5);
/// ```
///
/// # Panics
/// If `norm_type` is not positive.
#[track_caller]
pub fn clip_grad_norm_(params: &[Tensor], max_norm: f64, norm_type: f64) -> Tensor {
    if !(norm_type > 0.0) {
        panic!("clip_grad_norm_: norm_type must be positive (or infinity), got {norm_type}");
    }
    let _g = crate::no_grad();
    let grads: Vec<Tensor> = params.iter().filter_map(|p| p.grad()).collect();
    if grads.is_empty() {
        return Tensor::scalar(0.0f32);
    }
    let norms: Vec<Tensor> = grads.iter().map(|g| vector_norm(g, norm_type)).collect();
    let total = vector_norm(
        &Tensor::stack(&norms.iter().collect::<Vec<_>>(), 0),
        norm_type,
    );
    let clip_coef = (&total.full_like(max_norm) / &(&total + 1e-6)).clamp_max(1.0);
    for g in &grads {
        g.mul_(&clip_coef);
    }
    total
}

/// `torch.linalg.vector_norm(t, p)` over all elements.
fn vector_norm(t: &Tensor, p: f64) -> Tensor {
    let a = t.abs();
    if p == f64::INFINITY {
        a.max(..)
    } else if p == 1.0 {
        a.sum(..)
    } else if p == 2.0 {
        (&a * &a).sum(..).sqrt()
    } else {
        a.pow(p).sum(..).pow(1.0 / p)
    }
}

/// Clamps the gradients of `params` in place to `[-clip_value, clip_value]`; parameters
/// without a gradient are skipped.
///
/// ```
/// use firelight::Tensor;
/// use firelight::optim::clip_grad_value_;
/// let w = Tensor::zeros(&[3]).requires_grad_(true);
/// w.set_grad(Some(Tensor::tensor([-3.0, 0.5, 2.0])));
/// clip_grad_value_(&[w.clone()], 1.0);
/// assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![-1.0, 0.5, 1.0]);
/// ```
pub fn clip_grad_value_(params: &[Tensor], clip_value: f64) {
    let _g = crate::no_grad();
    for g in params.iter().filter_map(|p| p.grad()) {
        g.copy_(&g.clamp(-clip_value, clip_value));
    }
}
