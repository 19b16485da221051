//! Rules for reductions.
use super::index::scatter_add;
use crate::autograd::{Backward, Saved};
use crate::{DType, Tensor};

/// The gradient of a reduction result, with the reduced dims back as size 1.
fn unreduce(g: &Tensor, dims: &[usize], keepdim: bool) -> Tensor {
    let mut g = g.clone();
    if !keepdim {
        for &d in dims {
            g = g.unsqueeze(d as i64);
        }
    }
    g
}

fn as_i64(shape: &[usize]) -> Vec<i64> {
    shape.iter().map(|&s| s as i64).collect()
}

pub(crate) struct SumBackward {
    pub in_shape: Vec<usize>,
    pub dims: Vec<usize>,
    pub keepdim: bool,
}

impl Backward for SumBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        vec![Some(
            unreduce(g, &self.dims, self.keepdim).expand(&as_i64(&self.in_shape)),
        )]
    }
}

pub(crate) struct MeanBackward {
    pub in_shape: Vec<usize>,
    pub dims: Vec<usize>,
    pub keepdim: bool,
    pub count: usize,
}

impl Backward for MeanBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        let g = unreduce(g, &self.dims, self.keepdim) / self.count as f64;
        vec![Some(g.expand(&as_i64(&self.in_shape)))]
    }
}

/// `max()` / `min()` over everything: ties share the gradient evenly, as in PyTorch.
pub(crate) struct ExtremeAllBackward {
    x: Saved,
    out: Saved,
}

impl ExtremeAllBackward {
    pub fn new(x: &Tensor, out: &Tensor) -> ExtremeAllBackward {
        ExtremeAllBackward {
            x: Saved::new(x),
            out: Saved::new(out),
        }
    }
}

impl Backward for ExtremeAllBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        let (x, out) = (self.x.get(), self.out.get());
        // A NaN result came from NaN inputs: they share the gradient (NaN != NaN).
        let nan = x
            .ne(x)
            .to_dtype(DType::U8)
            .mul(out.ne(out).to_dtype(DType::U8));
        let mask = x.eq(out).to_dtype(DType::U8).add(nan).to_dtype(g.dtype());
        let count = mask.sum(..);
        vec![Some(mask * (g / count))]
    }
}

/// `max_dim` / `min_dim`: the gradient goes to the chosen index.
pub(crate) struct ExtremeDimBackward {
    pub in_shape: Vec<usize>,
    pub dim: usize,
    /// The indices with the reduced dim kept (size 1).
    pub indices: Tensor,
}

impl Backward for ExtremeDimBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        let g = g.reshape(&as_i64(self.indices.shape()));
        vec![Some(scatter_add(
            &self.in_shape,
            self.dim,
            &self.indices,
            &g,
        ))]
    }
}
