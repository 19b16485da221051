//! The gradient table: every backward rule, one file per op family. Each rule receives the
//! gradient of the op's output and returns one gradient per input (or `None` where that
//! input needs none). Rules use ordinary tensor ops and run under `no_grad`.
pub(crate) mod activation;
pub(crate) mod conv;
pub(crate) mod elementwise;
pub(crate) mod index;
pub(crate) mod linalg;
pub(crate) mod loss;
pub(crate) mod reduce;
pub(crate) mod view;

use crate::Tensor;

impl Tensor {
    /// Sums a broadcast gradient back down to `shape` (the adjoint of broadcasting).
    pub(crate) fn sum_to(&self, shape: &[usize]) -> Tensor {
        if **self.shape() == *shape {
            return self.clone();
        }
        let extra = self.dim() - shape.len();
        let mut dims: Vec<i64> = (0..extra as i64).collect();
        for (i, &s) in shape.iter().enumerate() {
            if s == 1 && self.shape()[extra + i] != 1 {
                dims.push((extra + i) as i64);
            }
        }
        let target: Vec<i64> = shape.iter().map(|&s| s as i64).collect();
        if dims.is_empty() {
            return self.reshape(&target);
        }
        self.sum_keepdim(dims).reshape(&target)
    }
}
