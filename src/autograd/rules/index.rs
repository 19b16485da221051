//! Rules for indexing ops, and the scatter kernels they need.
use crate::Tensor;
use crate::autograd::Backward;
use crate::backend::Storage;

/// A zero tensor of `shape` with `src` added at `index` along `dim` (gather's adjoint).
pub(crate) fn scatter_add(shape: &[usize], dim: usize, index: &Tensor, src: &Tensor) -> Tensor {
    let s = Storage::scatter_add(
        shape,
        dim,
        &index.storage(),
        index.layout(),
        &src.storage(),
        src.layout(),
    );
    Tensor::from_storage(s, shape)
}

pub(crate) struct GatherBackward {
    pub in_shape: Vec<usize>,
    pub dim: usize,
    pub index: Tensor,
}

impl Backward for GatherBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        vec![Some(scatter_add(&self.in_shape, self.dim, &self.index, g))]
    }
}

pub(crate) struct IndexSelectBackward {
    pub in_shape: Vec<usize>,
    pub dim: usize,
    pub index: Tensor,
}

impl Backward for IndexSelectBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        let (idx, dim) = (&self.index, self.dim);
        let s = Storage::index_add(
            &self.in_shape,
            dim,
            &idx.storage(),
            idx.layout(),
            &g.storage(),
            g.layout(),
        );
        vec![Some(Tensor::from_storage(s, &self.in_shape))]
    }
}

pub(crate) struct CatBackward {
    pub dim: usize,
    pub sizes: Vec<usize>,
}

impl Backward for CatBackward {
    fn backward(&self, g: &Tensor, needs: &[bool]) -> Vec<Option<Tensor>> {
        let mut start = 0;
        self.sizes
            .iter()
            .zip(needs)
            .map(|(&n, &need)| {
                let part = need.then(|| g.narrow(self.dim as i64, start, n));
                start += n;
                part
            })
            .collect()
    }
}
