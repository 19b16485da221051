//! Views that share storage (view, reshape, transpose, permute, narrow, select, unsqueeze,
//! squeeze, expand, flatten) and the copies that make memory contiguous.
use super::{Dims, Tensor, wrap_dim};
use crate::autograd::rules::view::{
    CloneBackward, ExpandBackward, NarrowBackward, PermuteBackward, ReshapeBackward, SelectBackward,
};
use crate::layout::{Layout, contiguous_strides};
use std::ops::{Bound, RangeBounds};

/// Resolves one `-1` in a requested shape, checking the element count.
#[track_caller]
fn infer_shape(numel: usize, sizes: &[i64], op: &str) -> Vec<usize> {
    let mut infer = None;
    let mut known = 1usize;
    for (i, &s) in sizes.iter().enumerate() {
        if s == -1 {
            if infer.replace(i).is_some() {
                panic!("{op}: only one dimension can be inferred, got {sizes:?}");
            }
        } else if s < 0 {
            panic!("{op}: invalid shape dimension {s} in {sizes:?}");
        } else {
            known *= s as usize;
        }
    }
    let mut shape: Vec<usize> = sizes.iter().map(|&s| s.max(0) as usize).collect();
    if let Some(i) = infer {
        if known == 0 || !numel.is_multiple_of(known) {
            panic!("{op}: shape {sizes:?} is invalid for input of size {numel}");
        }
        shape[i] = numel / known;
    } else if known != numel {
        panic!("{op}: shape {sizes:?} is invalid for input of size {numel}");
    }
    shape
}

impl Tensor {
    fn restride(&self, shape: Vec<usize>, strides: Vec<usize>, offset: usize) -> Layout {
        Layout {
            shape: shape.into(),
            strides,
            offset,
        }
    }

    /// The same data seen with another shape, sharing storage; one size may be `-1`.
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[64, 784]);
    /// assert_eq!(x.view(&[-1, 1, 28, 28]).shape(), &[64, 1, 28, 28]);
    /// ```
    ///
    /// # Panics
    /// If the sizes do not match the element count, or the strides cannot express the
    /// new shape without copying (use [`Tensor::reshape`]).
    #[track_caller]
    pub fn view(&self, shape: &[i64]) -> Tensor {
        let new_shape = infer_shape(self.numel(), shape, "view");
        let Some(strides) = self.layout().view_strides(&new_shape) else {
            panic!(
                "view: size {new_shape:?} is not compatible with input tensor's size {:?} and stride {:?} \
                 (at least one dimension spans across two contiguous subspaces); use reshape instead",
                self.shape(),
                self.stride()
            )
        };
        let in_shape = self.shape().to_vec();
        let layout = self.restride(new_shape, strides, self.layout().offset);
        self.view_op(layout, "ViewBackward0", || {
            Box::new(ReshapeBackward { in_shape })
        })
    }

    /// Like [`Tensor::view`], copying only when the strides require it.
    ///
    /// ```
    /// let x = firelight::Tensor::arange(6).view(&[2, 3]).t();
    /// assert_eq!(x.reshape(&[-1]).to_vec::<i64>(), vec![0, 3, 1, 4, 2, 5]);
    /// ```
    #[track_caller]
    pub fn reshape(&self, shape: &[i64]) -> Tensor {
        let new_shape = infer_shape(self.numel(), shape, "reshape");
        if self.layout().view_strides(&new_shape).is_some() {
            self.view(shape)
        } else {
            self.contiguous().view(shape)
        }
    }

    /// Swaps two dims (a view).
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[2, 3, 4]);
    /// assert_eq!(x.transpose(0, -1).shape(), &[4, 3, 2]);
    /// ```
    #[track_caller]
    pub fn transpose(&self, dim0: i64, dim1: i64) -> Tensor {
        let n = self.dim();
        let (a, b) = (
            wrap_dim(dim0, n, "transpose"),
            wrap_dim(dim1, n, "transpose"),
        );
        if n == 0 {
            return self.clone();
        }
        let mut perm: Vec<usize> = (0..n).collect();
        perm.swap(a, b);
        self.permute_dims(&perm, "TransposeBackward0")
    }

    /// The transpose of a matrix (`x.T` for 2-D; vectors and scalars are returned as is).
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[784, 10]);
    /// assert_eq!(x.t().shape(), &[10, 784]);
    /// ```
    #[track_caller]
    pub fn t(&self) -> Tensor {
        assert!(
            self.dim() <= 2,
            "t: expects a tensor with <= 2 dimensions, got {}",
            self.dim()
        );
        if self.dim() < 2 {
            return self.clone();
        }
        self.transpose(0, 1)
    }

    /// Reorders the dims (a view).
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[2, 3, 4]);
    /// assert_eq!(x.permute(&[2, 0, 1]).shape(), &[4, 2, 3]);
    /// ```
    #[track_caller]
    pub fn permute(&self, dims: &[i64]) -> Tensor {
        let n = self.dim();
        assert_eq!(
            dims.len(),
            n,
            "permute: got {} dims for a tensor with {} dims",
            dims.len(),
            n
        );
        let mut perm = Vec::with_capacity(n);
        for &d in dims {
            perm.push(wrap_dim(d, n, "permute"));
        }
        let mut seen = vec![false; n];
        for &p in &perm {
            assert!(
                !std::mem::replace(&mut seen[p], true),
                "permute: dim {p} repeats in {dims:?}"
            );
        }
        self.permute_dims(&perm, "PermuteBackward0")
    }

    fn permute_dims(&self, perm: &[usize], name: &'static str) -> Tensor {
        let l = self.layout();
        let layout = self.restride(
            perm.iter().map(|&p| l.shape[p]).collect(),
            perm.iter().map(|&p| l.strides[p]).collect(),
            l.offset,
        );
        let perm = perm.to_vec();
        self.view_op(layout, name, || Box::new(PermuteBackward { perm }))
    }

    /// `length` elements of `dim` starting at `start` (a view).
    ///
    /// ```
    /// let x = firelight::Tensor::arange(10);
    /// assert_eq!(x.narrow(0, 2, 3).to_vec::<i64>(), vec![2, 3, 4]);
    /// ```
    #[track_caller]
    pub fn narrow(&self, dim: i64, start: usize, length: usize) -> Tensor {
        let d = wrap_dim(dim, self.dim(), "narrow");
        let size = self.shape()[d];
        if start + length > size {
            panic!(
                "narrow: start ({start}) + length ({length}) exceeds dimension size ({size}) of dim {d}"
            );
        }
        let l = self.layout();
        let mut shape = l.shape.to_vec();
        shape[d] = length;
        let layout = self.restride(shape, l.strides.clone(), l.offset + start * l.strides[d]);
        let in_shape = self.shape().to_vec();
        self.view_op(layout, "SliceBackward0", || {
            Box::new(NarrowBackward {
                in_shape,
                dim: d,
                start,
            })
        })
    }

    /// The elements of `dim` in `range`, like Python's `x[a:b]` (a view).
    ///
    /// ```
    /// let x = firelight::Tensor::arange(10);
    /// assert_eq!(x.slice(0, 7..).to_vec::<i64>(), vec![7, 8, 9]);
    /// assert_eq!(x.slice(0, ..2).to_vec::<i64>(), vec![0, 1]);
    /// ```
    ///
    /// Ends past the size are clipped, as in Python.
    #[track_caller]
    pub fn slice(&self, dim: i64, range: impl RangeBounds<usize>) -> Tensor {
        let d = wrap_dim(dim, self.dim(), "slice");
        let size = self.shape()[d];
        let start = match range.start_bound() {
            Bound::Included(&s) => s,
            Bound::Excluded(&s) => s + 1,
            Bound::Unbounded => 0,
        }
        .min(size);
        let end = match range.end_bound() {
            Bound::Included(&e) => e + 1,
            Bound::Excluded(&e) => e,
            Bound::Unbounded => size,
        }
        .min(size);
        self.narrow(dim, start, end.saturating_sub(start))
    }

    /// Index `index` of `dim`, removing that dim, like `x[i]` (a view).
    ///
    /// ```
    /// let x = firelight::Tensor::arange(6).view(&[2, 3]);
    /// assert_eq!(x.select(0, 1).to_vec::<i64>(), vec![3, 4, 5]);
    /// assert_eq!(x.select(1, -1).to_vec::<i64>(), vec![2, 5]);
    /// ```
    #[track_caller]
    pub fn select(&self, dim: i64, index: i64) -> Tensor {
        let d = wrap_dim(dim, self.dim(), "select");
        assert!(self.dim() > 0, "select: cannot index a 0-dim tensor");
        let size = self.shape()[d] as i64;
        if index < -size || index >= size {
            panic!("select: index {index} is out of range for dimension {d} with size {size}");
        }
        let i = if index < 0 { index + size } else { index } as usize;
        let l = self.layout();
        let mut shape = l.shape.to_vec();
        let mut strides = l.strides.clone();
        shape.remove(d);
        strides.remove(d);
        let layout = self.restride(shape, strides, l.offset + i * l.strides[d]);
        let in_shape = self.shape().to_vec();
        self.view_op(layout, "SelectBackward0", || {
            Box::new(SelectBackward {
                in_shape,
                dim: d,
                index: i,
            })
        })
    }

    /// Inserts a size-1 dim at `dim` (a view).
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[3]);
    /// assert_eq!(x.unsqueeze(1).shape(), &[3, 1]);
    /// assert_eq!(x.unsqueeze(-1).shape(), &[3, 1]);
    /// ```
    #[track_caller]
    pub fn unsqueeze(&self, dim: i64) -> Tensor {
        let d = wrap_dim(dim, self.dim() + 1, "unsqueeze");
        let l = self.layout();
        let mut shape = l.shape.to_vec();
        let mut strides = l.strides.clone();
        let stride = if d < shape.len() {
            shape[d] * strides[d]
        } else {
            1
        };
        shape.insert(d, 1);
        strides.insert(d, stride);
        let in_shape = self.shape().to_vec();
        let layout = self.restride(shape, strides, l.offset);
        self.view_op(layout, "UnsqueezeBackward0", || {
            Box::new(ReshapeBackward { in_shape })
        })
    }

    /// Removes the listed dims where their size is 1 (others stay, as in PyTorch), like
    /// `x.squeeze(dim)`; `x.squeeze(..)` removes every size-1 dim (`x.squeeze()`). A view.
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[1, 3, 1]);
    /// assert_eq!(x.squeeze(-1).shape(), &[1, 3]);
    /// assert_eq!(x.squeeze(1).shape(), &[1, 3, 1]);
    /// assert_eq!(x.squeeze([0, 2]).shape(), &[3]);
    /// assert_eq!(x.squeeze(..).shape(), &[3]);
    /// ```
    ///
    /// # Panics
    /// If a dim is out of range or repeated.
    #[track_caller]
    pub fn squeeze(&self, dims: impl Dims) -> Tensor {
        let (drop, name) = if dims.is_all() {
            ((0..self.dim()).collect(), "SqueezeBackward0")
        } else {
            let name = if dims.dims().len() == 1 {
                "SqueezeBackward1"
            } else {
                "SqueezeBackward2"
            };
            (self.resolve_dims(&dims, "squeeze"), name)
        };
        let keep: Vec<usize> = (0..self.dim())
            .filter(|d| !(drop.contains(d) && self.shape()[*d] == 1))
            .collect();
        if keep.len() == self.dim() && !dims.is_all() {
            return self.clone();
        }
        self.keep_dims(&keep, name)
    }

    fn keep_dims(&self, keep: &[usize], name: &'static str) -> Tensor {
        let l = self.layout();
        let layout = self.restride(
            keep.iter().map(|&d| l.shape[d]).collect(),
            keep.iter().map(|&d| l.strides[d]).collect(),
            l.offset,
        );
        let in_shape = self.shape().to_vec();
        self.view_op(layout, name, || Box::new(ReshapeBackward { in_shape }))
    }

    /// Repeats size-1 dims (and adds leading dims) without copying; `-1` keeps a size.
    ///
    /// ```
    /// let x = firelight::Tensor::tensor([[1.0], [2.0]]);
    /// assert_eq!(x.expand(&[-1, 3]).to_vec::<f32>(), vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn expand(&self, shape: &[i64]) -> Tensor {
        let n = self.dim();
        assert!(
            shape.len() >= n,
            "expand: the number of sizes ({}) must be at least the tensor's dims ({n})",
            shape.len()
        );
        let extra = shape.len() - n;
        let l = self.layout();
        let mut out_shape = Vec::with_capacity(shape.len());
        let mut strides = Vec::with_capacity(shape.len());
        for (i, &s) in shape.iter().enumerate() {
            if i < extra {
                assert!(
                    s >= 0,
                    "expand: -1 is not allowed for a new leading dim in {shape:?}"
                );
                out_shape.push(s as usize);
                strides.push(0);
                continue;
            }
            let (size, stride) = (l.shape[i - extra], l.strides[i - extra]);
            if s == -1 || s as usize == size {
                out_shape.push(size);
                strides.push(stride);
            } else if size == 1 {
                out_shape.push(s as usize);
                strides.push(0);
            } else {
                panic!(
                    "expand: the expanded size {s} must match the existing size {size} at dim {i} (shape {:?} to {shape:?})",
                    self.shape()
                );
            }
        }
        let in_shape = self.shape().to_vec();
        let layout = self.restride(out_shape, strides, l.offset);
        self.view_op(layout, "ExpandBackward0", || {
            Box::new(ExpandBackward { in_shape })
        })
    }

    /// `expand` to another tensor's shape.
    #[track_caller]
    pub fn expand_as(&self, other: &Tensor) -> Tensor {
        let s: Vec<i64> = other.shape().iter().map(|&s| s as i64).collect();
        self.expand(&s)
    }

    /// Merges dims `start_dim..=end_dim` into one (a view when the strides allow).
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[64, 16, 4, 4]);
    /// assert_eq!(x.flatten(1, -1).shape(), &[64, 256]);
    /// assert_eq!(x.flatten(0, -1).shape(), &[16384]);
    /// ```
    #[track_caller]
    pub fn flatten(&self, start_dim: i64, end_dim: i64) -> Tensor {
        if self.dim() == 0 {
            return self.reshape(&[1]);
        }
        let s = wrap_dim(start_dim, self.dim(), "flatten");
        let e = wrap_dim(end_dim, self.dim(), "flatten");
        assert!(
            s <= e,
            "flatten: start_dim ({s}) cannot come after end_dim ({e})"
        );
        let sh = self.shape();
        let mut new: Vec<i64> = sh[..s].iter().map(|&d| d as i64).collect();
        new.push(sh[s..=e].iter().product::<usize>() as i64);
        new.extend(sh[e + 1..].iter().map(|&d| d as i64));
        self.reshape(&new)
    }

    /// The same values in row-major order: the tensor itself if already so, else a copy.
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[2, 3]).t();
    /// assert!(!x.is_contiguous());
    /// assert!(x.contiguous().is_contiguous());
    /// ```
    pub fn contiguous(&self) -> Tensor {
        if self.is_contiguous() {
            return self.clone();
        }
        self.deep_clone()
    }

    /// A copy of the data in new storage, still connected to the graph (PyTorch's
    /// `x.clone()`; Rust's `clone()` only copies the handle).
    ///
    /// ```
    /// use firelight::Tensor;
    /// let x = Tensor::zeros(&[2]);
    /// let y = x.deep_clone();
    /// y.fill_(1.0);
    /// assert_eq!(x.to_vec::<f32>(), vec![0.0, 0.0]);
    /// ```
    pub fn deep_clone(&self) -> Tensor {
        let storage = self.storage().copy_strided(self.layout());
        Tensor::from_op(storage, self.shape(), "CloneBackward0", &[self], |_| {
            Box::new(CloneBackward)
        })
    }

    /// A zero tensor of `shape` with `self` written into the `[start, start + len)` slice
    /// of `dim` (the adjoint of `narrow`; not recorded).
    pub(crate) fn pad_into(&self, shape: &[usize], dim: usize, start: usize) -> Tensor {
        debug_assert_eq!(self.dim(), shape.len());
        let out = Tensor::full_with(shape, 0.0, self.dtype(), self.device());
        let strides = contiguous_strides(shape);
        let sub = Layout {
            shape: self.shape().clone(),
            offset: start * strides[dim],
            strides,
        };
        out.storage_mut()
            .assign(&sub, &self.storage(), self.layout());
        out
    }
}
