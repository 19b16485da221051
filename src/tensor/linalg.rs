//! Matrix products.
use super::Tensor;
use super::elementwise::storages;
use crate::autograd::rules::linalg::MatmulBackward;
use crate::layout::{Layout, broadcast_shapes};

/// A `[batch, rows, cols]` layout for `t` broadcast to `batch_shape`, copying `t` only when
/// its batch dims cannot be merged into one stride.
fn as_3d(t: &Tensor, batch_shape: &[usize]) -> (Tensor, Layout) {
    let (r, c) = (t.shape()[t.dim() - 2], t.shape()[t.dim() - 1]);
    let full: Vec<usize> = batch_shape.iter().copied().chain([r, c]).collect();
    let strides = t.layout().broadcast_strides(&full);
    let nb = batch_shape.len();
    let batch: usize = batch_shape.iter().product();
    // Size-1 dims never move through memory, so their strides say nothing: the batch is one
    // strided run when each dim of size > 1 steps over the whole of the next such dim.
    // (Comparing neighbours instead accepts [3, 1, 2] with strides [1, 6, 3], whose batch
    // is not a run, and gemm then reads past the storage.)
    let big: Vec<usize> = (0..nb).filter(|&i| batch_shape[i] != 1).collect();
    let merged = big
        .windows(2)
        .all(|w| strides[w[0]] == strides[w[1]] * batch_shape[w[1]]);
    let mut l = t.layout().clone();
    if merged {
        let bstride = big.last().map_or(0, |&i| strides[i]);
        l = Layout {
            shape: vec![batch, r, c].into(),
            strides: vec![bstride, strides[nb], strides[nb + 1]],
            offset: l.offset,
        };
        (t.clone(), l)
    } else {
        let e: Vec<i64> = full.iter().map(|&s| s as i64).collect();
        let copy = t.detach().expand(&e).contiguous();
        let l = Layout {
            shape: vec![batch, r, c].into(),
            strides: vec![r * c, c, 1],
            offset: copy.layout().offset,
        };
        (copy, l)
    }
}

impl Tensor {
    /// The matrix product with NumPy/PyTorch semantics: vector·vector, matrix·vector,
    /// vector·matrix, matrix·matrix, and batched products with broadcast batch dims.
    ///
    /// ```
    /// use firelight::Tensor;
    /// let xb = Tensor::ones(&[64, 784]);
    /// let w = Tensor::ones(&[784, 10]);
    /// assert_eq!(xb.matmul(&w).shape(), &[64, 10]);
    /// let a = Tensor::ones(&[5, 2, 3]);
    /// assert_eq!(a.matmul(&Tensor::ones(&[3, 4])).shape(), &[5, 2, 4]);
    /// assert_eq!(Tensor::ones(&[3]).matmul(&Tensor::ones(&[3])).item::<f32>(), 3.0);
    /// ```
    ///
    /// # Panics
    /// If the inner sizes differ or the batch dims do not broadcast.
    #[track_caller]
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        let (a, b) = (self, other);
        assert!(
            a.dim() >= 1 && b.dim() >= 1,
            "matmul: both arguments need at least 1 dimension, got {:?} and {:?}",
            a.shape(),
            b.shape()
        );
        match (a.dim(), b.dim()) {
            (1, 1) => a.unsqueeze(0).mm_batched(&b.unsqueeze(1)).reshape(&[]),
            (1, _) => a.unsqueeze(0).mm_batched(b).squeeze(-2),
            (_, 1) => a.mm_batched(&b.unsqueeze(1)).squeeze(-1),
            _ => a.mm_batched(b),
        }
    }

    /// `matmul` for 2-D matrices only, like `torch.mm`.
    #[track_caller]
    pub fn mm(&self, other: &Tensor) -> Tensor {
        assert!(
            self.dim() == 2 && other.dim() == 2,
            "mm: expects 2-D matrices, got {:?} and {:?}",
            self.shape(),
            other.shape()
        );
        self.mm_batched(other)
    }

    #[track_caller]
    fn mm_batched(&self, other: &Tensor) -> Tensor {
        let (a, b) = (self, other);
        if a.dtype() != b.dtype() {
            panic!(
                "matmul: expected both operands to have the same dtype, got {} and {}{}",
                a.dtype(),
                b.dtype(),
                super::float64_hint(a.dtype(), b.dtype())
            );
        }
        assert_eq!(
            a.device(),
            b.device(),
            "matmul: operands are on different devices ({} and {})",
            a.device(),
            b.device()
        );
        let (m, k) = (a.shape()[a.dim() - 2], a.shape()[a.dim() - 1]);
        let (k2, n) = (b.shape()[b.dim() - 2], b.shape()[b.dim() - 1]);
        if k != k2 {
            panic!(
                "matmul: shapes {:?} and {:?} cannot be multiplied ({m}x{k} and {k2}x{n})",
                a.shape(),
                b.shape()
            );
        }
        let ba = &a.shape()[..a.dim() - 2];
        let bb = &b.shape()[..b.dim() - 2];
        let Some(batch) = broadcast_shapes(ba, bb) else {
            panic!(
                "matmul: batch dims of {:?} and {:?} cannot be broadcast",
                a.shape(),
                b.shape()
            )
        };
        let (ta, la) = as_3d(a, &batch);
        let (tb, lb) = as_3d(b, &batch);
        let storage = {
            let locked = storages(&ta, &tb);
            let (sa, sb) = locked.get();
            sa.bmm(&la, sb, &lb)
        };
        let shape: Vec<usize> = batch.iter().copied().chain([m, n]).collect();
        let name = if shape.len() == 2 {
            "MmBackward0"
        } else {
            "BmmBackward0"
        };
        Tensor::from_op(storage, &shape, name, &[a, b], |_| {
            Box::new(MatmulBackward::new(a, b))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_with_size_one_dim_between_unmergeable_dims() {
        // Batch [2, 1, 3] with strides [4, 24, 8]: the size-1 dim's stride fits the dim
        // after it, but the outer dim's does not, so the batch must be copied.
        let a = Tensor::arange(24).double().view(&[3, 2, 2, 2]);
        let at = a.transpose(0, 1).unsqueeze(1);
        let b = Tensor::from_vec(vec![1.0f64, 2.0, -1.0, 0.5], &[2, 2]);
        let want = at.contiguous().matmul(&b).to_vec::<f64>();
        assert_eq!(at.matmul(&b).to_vec::<f64>(), want);
        assert_eq!(b.matmul(&at.transpose(-1, -2)).shape(), &[2, 1, 3, 2, 2]);
    }
}
