//! Indexing: gather, index_select, advanced indexing with index tensors, cat, stack.
use super::{Tensor, wrap_dim};
use crate::DType;
use crate::autograd::rules::index::{CatBackward, GatherBackward, IndexSelectBackward};
use crate::layout::Layout;

impl Tensor {
    /// Picks values along `dim` by an int64 index tensor of the same rank:
    /// `out[i][j] = self[i][index[i][j]]` for `dim = 1`, like `torch.gather`.
    ///
    /// ```
    /// use firelight::Tensor;
    /// let x = Tensor::tensor([[0.1, 0.9], [0.7, 0.3]]);
    /// let idx = Tensor::tensor([[1], [0]]);
    /// assert_eq!(x.gather(1, &idx).to_vec::<f32>(), vec![0.9, 0.7]);
    /// ```
    ///
    /// # Panics
    /// If `index` is not int64, has another rank, is larger than `self` outside `dim`,
    /// or holds an index out of range.
    #[track_caller]
    pub fn gather(&self, dim: i64, index: &Tensor) -> Tensor {
        let d = wrap_dim(dim, self.dim(), "gather");
        assert_eq!(
            index.dtype(),
            DType::I64,
            "gather: index must be int64, got {}",
            index.dtype()
        );
        assert_eq!(
            index.dim(),
            self.dim(),
            "gather: index {:?} and input {:?} must have the same number of dims",
            index.shape(),
            self.shape()
        );
        for i in 0..self.dim() {
            if i != d && index.shape()[i] > self.shape()[i] {
                panic!(
                    "gather: index {:?} is larger than input {:?} at dim {i}",
                    index.shape(),
                    self.shape()
                );
            }
        }
        let storage = self
            .storage()
            .gather(self.layout(), d, &index.storage(), index.layout());
        let in_shape = self.shape().to_vec();
        Tensor::from_op(storage, index.shape(), "GatherBackward0", &[self], |_| {
            Box::new(GatherBackward {
                in_shape,
                dim: d,
                index: index.clone(),
            })
        })
    }

    /// The entries of `dim` listed by a 1-D int64 `index`, like `torch.index_select`.
    ///
    /// ```
    /// use firelight::Tensor;
    /// let x = Tensor::arange(6).view(&[3, 2]);
    /// let rows = x.index_select(0, &Tensor::tensor([2, 0]));
    /// assert_eq!(rows.to_vec::<i64>(), vec![4, 5, 0, 1]);
    /// ```
    #[track_caller]
    pub fn index_select(&self, dim: i64, index: &Tensor) -> Tensor {
        let d = wrap_dim(dim, self.dim(), "index_select");
        assert_eq!(
            index.dtype(),
            DType::I64,
            "index_select: index must be int64, got {}",
            index.dtype()
        );
        assert!(
            index.dim() <= 1,
            "index_select: index must be 0-D or 1-D, got shape {:?}",
            index.shape()
        );
        if self.dim() == 0 {
            return self.reshape(&[1]).index_select(0, index).reshape(&[]);
        }
        let storage =
            self.storage()
                .index_select(self.layout(), d, &index.storage(), index.layout());
        let mut shape = self.shape().to_vec();
        shape[d] = index.numel();
        let in_shape = self.shape().to_vec();
        Tensor::from_op(storage, &shape, "IndexSelectBackward0", &[self], |_| {
            Box::new(IndexSelectBackward {
                in_shape,
                dim: d,
                index: index.reshape(&[-1]),
            })
        })
    }

    /// Advanced indexing with int64 tensors on the leading dims, like PyTorch's
    /// `x[i0, i1]`: the index tensors broadcast together, and the result holds
    /// `x[i0[p], i1[p], ...]` for every position `p`, followed by the remaining dims.
    /// Negative indices count from the end.
    ///
    /// The tutorial's `input[range(n), target]` is
    /// `input.index(&[&Tensor::arange(n), &target])`.
    ///
    /// ```
    /// use firelight::Tensor;
    /// let input = Tensor::tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    /// let target = Tensor::tensor([2, 0]);
    /// let picked = input.index(&[&Tensor::arange(2), &target]);
    /// assert_eq!(picked.to_vec::<f32>(), vec![0.3, 0.4]);
    /// ```
    ///
    /// # Panics
    /// If more index tensors than dims are given, they do not broadcast, they are not
    /// int64, or an index is out of range.
    #[track_caller]
    pub fn index(&self, indices: &[&Tensor]) -> Tensor {
        let k = indices.len();
        assert!(
            k >= 1 && k <= self.dim(),
            "index: got {k} index tensors for a tensor with {} dims",
            self.dim()
        );
        let mut shape: Vec<usize> = vec![];
        for t in indices {
            assert_eq!(
                t.dtype(),
                DType::I64,
                "index: index tensors must be int64, got {}",
                t.dtype()
            );
            let Some(b) = crate::layout::broadcast_shapes(&shape, t.shape()) else {
                panic!(
                    "index: index shapes {:?} cannot be broadcast together",
                    indices
                        .iter()
                        .map(|t| t.shape().to_vec())
                        .collect::<Vec<_>>()
                )
            };
            shape = b;
        }
        let exp: Vec<i64> = shape.iter().map(|&s| s as i64).collect();
        let rest: Vec<i64> = self.shape()[k..].iter().map(|&s| s as i64).collect();
        let lead: i64 = self.shape()[..k].iter().product::<usize>() as i64;
        let rows: Vec<i64> = [lead].into_iter().chain(rest.iter().copied()).collect();
        let out_shape: Vec<i64> = exp.iter().chain(&rest).copied().collect();
        if self.device() != crate::Device::Cpu {
            let flat = self.flat_index_on_device(indices, &exp);
            return self
                .reshape(&rows)
                .index_select(0, &flat)
                .reshape(&out_shape);
        }
        let n: usize = shape.iter().product();
        let mut flat = vec![0i64; n];
        for (d, t) in indices.iter().enumerate() {
            let size = self.shape()[d] as i64;
            let vals = t.expand(&exp).to_vec::<i64>();
            for (f, &v) in flat.iter_mut().zip(&vals) {
                if v < -size || v >= size {
                    panic!("index: index {v} is out of bounds for dimension {d} with size {size}");
                }
                *f = *f * size + if v < 0 { v + size } else { v };
            }
        }
        self.reshape(&rows)
            .index_select(0, &Tensor::from_vec(flat, &[n]))
            .reshape(&out_shape)
    }

    /// The row-major flat index of each broadcast index tuple, computed where the tensor
    /// lives (so indexing a GPU tensor reads nothing back). A tuple with an index out of
    /// range becomes -1, which `index_select` reports.
    #[track_caller]
    fn flat_index_on_device(&self, indices: &[&Tensor], exp: &[i64]) -> Tensor {
        let dev = self.device();
        let mut flat = Tensor::full_with(&[], 0.0, DType::I64, dev);
        let mut valid = Tensor::full_with(&[], 1.0, DType::Bool, dev);
        for (d, t) in indices.iter().enumerate() {
            let size = self.shape()[d] as i64;
            let v = t.expand(exp);
            let v = Tensor::where_(&v.lt(0), &(&v + size), &v);
            valid = &valid * &(&v.ge(0) * &v.lt(size));
            flat = &flat * size + &v;
        }
        let minus_one = Tensor::full_with(&[], -1.0, DType::I64, dev);
        Tensor::where_(&valid, &flat, &minus_one).reshape(&[-1])
    }

    /// Joins tensors along an existing dim, like `torch.cat`.
    ///
    /// ```
    /// use firelight::Tensor;
    /// let a = Tensor::zeros(&[2, 3]);
    /// let b = Tensor::ones(&[1, 3]);
    /// assert_eq!(Tensor::cat(&[&a, &b], 0).shape(), &[3, 3]);
    /// ```
    ///
    /// # Panics
    /// If the list is empty, or shapes differ outside `dim`, or dtypes differ.
    #[track_caller]
    pub fn cat(tensors: &[&Tensor], dim: i64) -> Tensor {
        assert!(
            !tensors.is_empty(),
            "cat: expected a non-empty list of tensors"
        );
        let first = tensors[0];
        let d = wrap_dim(dim, first.dim(), "cat");
        let mut shape = first.shape().to_vec();
        assert!(
            first.dim() > 0,
            "cat: zero-dimensional tensors cannot be concatenated"
        );
        shape[d] = 0;
        for (i, t) in tensors.iter().enumerate() {
            assert_eq!(
                t.dtype(),
                first.dtype(),
                "cat: tensor {i} has dtype {} but tensor 0 has {}",
                t.dtype(),
                first.dtype()
            );
            let same = t.dim() == first.dim()
                && (0..t.dim()).all(|j| j == d || t.shape()[j] == first.shape()[j]);
            if !same {
                panic!(
                    "cat: sizes of tensors must match except in dimension {d}; tensor 0 has shape {:?}, tensor {i} has {:?}",
                    first.shape(),
                    t.shape()
                );
            }
            shape[d] += t.shape()[d];
        }
        let out = Tensor::full_with(&shape, 0.0, first.dtype(), first.device());
        let strides = out.layout().strides.clone();
        let mut start = 0;
        let mut sizes = Vec::with_capacity(tensors.len());
        for t in tensors {
            let dst = Layout {
                shape: t.shape().clone(),
                strides: strides.clone(),
                offset: start * strides[d],
            };
            out.storage_mut().assign(&dst, &t.storage(), t.layout());
            start += t.shape()[d];
            sizes.push(t.shape()[d]);
        }
        let storage_out = out;
        if !crate::autograd::needs_grad(tensors) {
            return storage_out;
        }
        let node = crate::autograd::make_node(
            "CatBackward0",
            tensors,
            Box::new(CatBackward { dim: d, sizes }),
        );
        Tensor::from_parts(
            storage_out.0.storage.clone(),
            storage_out.layout().clone(),
            Some(node),
        )
    }

    /// Joins tensors of equal shape along a new dim, like `torch.stack`.
    ///
    /// ```
    /// use firelight::Tensor;
    /// let a = Tensor::zeros(&[3]);
    /// assert_eq!(Tensor::stack(&[&a, &a], 0).shape(), &[2, 3]);
    /// ```
    #[track_caller]
    pub fn stack(tensors: &[&Tensor], dim: i64) -> Tensor {
        assert!(
            !tensors.is_empty(),
            "stack: expected a non-empty list of tensors"
        );
        for (i, t) in tensors.iter().enumerate() {
            assert_eq!(
                t.shape(),
                tensors[0].shape(),
                "stack: tensor {i} has shape {:?} but tensor 0 has {:?}",
                t.shape(),
                tensors[0].shape()
            );
        }
        let d = wrap_dim(dim, tensors[0].dim() + 1, "stack") as i64;
        let parts: Vec<Tensor> = tensors.iter().map(|t| t.unsqueeze(d)).collect();
        let refs: Vec<&Tensor> = parts.iter().collect();
        Tensor::cat(&refs, d)
    }
}
