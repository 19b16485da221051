//! Reductions: sum, mean, max, min, argmax, argmin, logsumexp.
use super::{Tensor, wrap_dim};
use crate::autograd::rules::reduce::{
    ExtremeAllBackward, ExtremeDimBackward, MeanBackward, SumBackward,
};
use crate::backend::{BinaryOp, ReduceOp, Storage};
use crate::layout::Layout;
use std::ops::RangeFull;

/// The dims a reduction runs over: one dim (`1`, `-1`), several (`[0, 2]`, `&[0, 2]`, a
/// `Vec`), or `..` for every dim — PyTorch's no-argument form, `x.sum()` being
/// `x.sum(..)`. Negative dims count from the end.
///
/// ```
/// use firelight::Tensor;
/// let x = Tensor::ones(&[2, 3, 4]);
/// assert_eq!(x.sum(-1).shape(), &[2, 3]);
/// assert_eq!(x.sum([0, 2]).shape(), &[3]);
/// assert_eq!(x.sum(..).item::<f32>(), 24.0);
/// ```
///
/// A reduction always says what it reduces, so a PyTorch `x.exp().sum(-1)` means the
/// same here, and rustc never gets to suggest dropping the dim (which once summed
/// everything): `x.sum()` does not compile.
///
/// ```compile_fail,E0061
/// let x = firelight::Tensor::ones(&[2, 3]);
/// let total = x.sum(); // error: this method takes 1 argument; write `x.sum(..)`
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not name dims",
    label = "expected one dim (`1`, `-1`), several (`[0, 2]`), or `..` for every dim",
    note = "PyTorch's `x.sum()` is `x.sum(..)`; `x.sum(dim=1, keepdim=True)` is `x.sum_keepdim(1)`"
)]
pub trait Dims {
    /// The dims as given (empty for `..`).
    fn dims(&self) -> Vec<i64>;

    /// True for `..`, every dim.
    fn is_all(&self) -> bool {
        false
    }
}

impl Dims for i64 {
    fn dims(&self) -> Vec<i64> {
        vec![*self]
    }
}

impl Dims for i32 {
    fn dims(&self) -> Vec<i64> {
        vec![*self as i64]
    }
}

impl Dims for &[i64] {
    fn dims(&self) -> Vec<i64> {
        self.to_vec()
    }
}

impl<const N: usize> Dims for [i64; N] {
    fn dims(&self) -> Vec<i64> {
        self.to_vec()
    }
}

impl Dims for Vec<i64> {
    fn dims(&self) -> Vec<i64> {
        self.clone()
    }
}

impl Dims for RangeFull {
    fn dims(&self) -> Vec<i64> {
        Vec::new()
    }
    fn is_all(&self) -> bool {
        true
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for i64 {}
    impl Sealed for std::ops::RangeFull {}
}

/// One dim (`1`, `-1`), or `..` for the whole tensor: the argument of [`Tensor::max`],
/// [`Tensor::min`], [`Tensor::argmax`] and [`Tensor::argmin`], as PyTorch's `dim=` or its
/// absence. With a dim, `max` and `min` give `(values, indices)`, as PyTorch's
/// `x.max(1)`; with `..`, the one extreme value, as `x.max()`.
///
/// ```
/// use firelight::Tensor;
/// let x = Tensor::tensor([[1.0, 5.0], [7.0, 2.0]]);
/// let (values, indices) = x.max(1);
/// assert_eq!(values.to_vec::<f32>(), vec![5.0, 7.0]);
/// assert_eq!(indices.to_vec::<i64>(), vec![1, 0]);
/// assert_eq!(x.max(..).item::<f32>(), 7.0);
/// assert_eq!(x.argmax(1).to_vec::<i64>(), vec![1, 0]);
/// assert_eq!(x.argmax(..).item::<i64>(), 2); // the flattened index
/// ```
///
/// `x.argmax()` does not compile: the flattened index is asked for by name, `..`, so an
/// accuracy computed as `out.argmax(1).eq(&y)` cannot quietly become one index.
///
/// ```compile_fail,E0061
/// let out = firelight::Tensor::zeros(&[4, 10]);
/// let preds = out.argmax(); // error: this method takes 1 argument; write `argmax(1)` or `argmax(..)`
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not one dim",
    label = "expected one dim (an `i64` such as `1` or `-1`), or `..` for the whole tensor",
    note = "PyTorch's `x.argmax()` is `x.argmax(..)`, `x.max(dim=1)` is `x.max(1)`"
)]
pub trait Dim: sealed::Sealed + Copy {
    /// What `max` and `min` give: `(values, indices)` for a dim, a 0-dim tensor for `..`.
    type Extreme;

    /// The dim, or `None` for `..`.
    fn dim(self) -> Option<i64>;

    #[doc(hidden)]
    #[track_caller]
    fn extreme(self, t: &Tensor, max: bool) -> Self::Extreme;
}

impl Dim for i64 {
    type Extreme = (Tensor, Tensor);
    fn dim(self) -> Option<i64> {
        Some(self)
    }
    #[track_caller]
    fn extreme(self, t: &Tensor, max: bool) -> (Tensor, Tensor) {
        t.extreme_dim(self, false, max)
    }
}

impl Dim for RangeFull {
    type Extreme = Tensor;
    fn dim(self) -> Option<i64> {
        None
    }
    #[track_caller]
    fn extreme(self, t: &Tensor, max: bool) -> Tensor {
        t.extreme_all(max)
    }
}

impl Tensor {
    /// Sorted, unique, non-negative dims.
    #[track_caller]
    pub(crate) fn resolve_dims(&self, dims: &impl Dims, op: &str) -> Vec<usize> {
        // An empty list reduces over every dim, as in PyTorch.
        if dims.dims().is_empty() {
            return (0..self.dim()).collect();
        }
        let mut d = Vec::new();
        for dim in dims.dims() {
            d.push(wrap_dim(dim, self.dim(), op));
        }
        d.sort_unstable();
        let n = d.len();
        d.dedup();
        assert_eq!(
            n,
            d.len(),
            "{op}: a dim appears more than once in {:?}",
            dims.dims()
        );
        if self.dim() == 0 {
            d.clear();
        }
        d
    }

    fn reduced_shape(&self, dims: &[usize], keepdim: bool) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.dim());
        for (i, &s) in self.shape().iter().enumerate() {
            if !dims.contains(&i) {
                out.push(s);
            } else if keepdim {
                out.push(1);
            }
        }
        out
    }

    #[track_caller]
    fn sum_impl(&self, dims: Vec<usize>, keepdim: bool, name: &'static str) -> Tensor {
        let storage = self.storage().reduce(self.layout(), &dims, ReduceOp::Sum);
        let shape = self.reduced_shape(&dims, keepdim);
        let in_shape = self.shape().to_vec();
        Tensor::from_op(storage, &shape, name, &[self], |_| {
            Box::new(SumBackward {
                in_shape,
                dims,
                keepdim,
            })
        })
    }

    /// The sum over `dims`, like PyTorch's `x.sum(dim)`; `x.sum(..)` is the sum of every
    /// element (`x.sum()`), as a 0-dim tensor. Integer and bool input sum to int64.
    ///
    /// ```
    /// let x = firelight::Tensor::ones(&[2, 3]);
    /// assert_eq!(x.sum(..).item::<f32>(), 6.0);
    /// assert_eq!(x.sum(-1).to_vec::<f32>(), vec![3.0, 3.0]);
    /// assert_eq!(x.sum([0, 1]).shape(), &[] as &[usize]);
    /// ```
    ///
    /// # Panics
    /// If a dim is out of range or repeated.
    #[track_caller]
    pub fn sum(&self, dims: impl Dims) -> Tensor {
        let name = if dims.is_all() {
            "SumBackward0"
        } else {
            "SumBackward1"
        };
        let dims = self.resolve_dims(&dims, "sum");
        self.sum_impl(dims, false, name)
    }

    /// [`Tensor::sum`] keeping the reduced dims as size 1 (`keepdim=True`).
    ///
    /// ```
    /// let x = firelight::Tensor::ones(&[2, 3]);
    /// assert_eq!(x.sum_keepdim(-1).shape(), &[2, 1]);
    /// assert_eq!(x.sum_keepdim(..).shape(), &[1, 1]);
    /// ```
    ///
    /// # Panics
    /// As [`Tensor::sum`].
    #[track_caller]
    pub fn sum_keepdim(&self, dims: impl Dims) -> Tensor {
        let dims = self.resolve_dims(&dims, "sum");
        self.sum_impl(dims, true, "SumBackward1")
    }

    #[track_caller]
    fn mean_impl(&self, dims: Vec<usize>, keepdim: bool, name: &'static str) -> Tensor {
        if !self.dtype().is_float() {
            panic!(
                "mean: could not infer output dtype; input dtype must be a floating point dtype, got {} \
                 (use .float() first)",
                self.dtype()
            );
        }
        let count: usize = dims.iter().map(|&d| self.shape()[d]).product();
        let shape = self.reduced_shape(&dims, keepdim);
        let storage = {
            let sum = self.storage().reduce(self.layout(), &dims, ReduceOp::Sum);
            let n = Storage::full(1, count as f64, self.dtype(), self.device());
            let l = Layout::contiguous(&shape);
            let nl = Layout {
                shape: l.shape.clone(),
                strides: vec![0; shape.len()],
                offset: 0,
            };
            sum.binary(&l, &n, &nl, BinaryOp::Div)
        };
        let in_shape = self.shape().to_vec();
        Tensor::from_op(storage, &shape, name, &[self], |_| {
            Box::new(MeanBackward {
                in_shape,
                dims,
                keepdim,
                count,
            })
        })
    }

    /// The mean over `dims`, like PyTorch's `x.mean(dim)`; `x.mean(..)` is the mean of
    /// every element (`x.mean()`). Float tensors only, as in PyTorch.
    ///
    /// ```
    /// let x = firelight::Tensor::tensor([[1.0, 3.0], [5.0, 7.0]]);
    /// assert_eq!(x.mean(..).item::<f32>(), 4.0);
    /// assert_eq!(x.mean(0).to_vec::<f32>(), vec![3.0, 5.0]);
    /// ```
    ///
    /// # Panics
    /// For integer or bool input (call `.float()` first), or a dim out of range.
    #[track_caller]
    pub fn mean(&self, dims: impl Dims) -> Tensor {
        let name = if dims.is_all() {
            "MeanBackward0"
        } else {
            "MeanBackward1"
        };
        let dims = self.resolve_dims(&dims, "mean");
        self.mean_impl(dims, false, name)
    }

    /// [`Tensor::mean`] keeping the reduced dims as size 1.
    ///
    /// ```
    /// let x = firelight::Tensor::tensor([[1.0, 3.0], [5.0, 7.0]]);
    /// assert_eq!(x.mean_keepdim(1).to_vec::<f32>(), vec![2.0, 6.0]);
    /// assert_eq!(x.mean_keepdim(1).shape(), &[2, 1]);
    /// ```
    ///
    /// # Panics
    /// As [`Tensor::mean`].
    #[track_caller]
    pub fn mean_keepdim(&self, dims: impl Dims) -> Tensor {
        let dims = self.resolve_dims(&dims, "mean");
        self.mean_impl(dims, true, "MeanBackward1")
    }

    #[track_caller]
    fn extreme_all(&self, max: bool) -> Tensor {
        let (op, name) = if max {
            (ReduceOp::Max, "MaxBackward1")
        } else {
            (ReduceOp::Min, "MinBackward1")
        };
        let dims: Vec<usize> = (0..self.dim()).collect();
        let storage = self.storage().reduce(self.layout(), &dims, op);
        Tensor::from_op(storage, &[], name, &[self], |out| {
            Box::new(ExtremeAllBackward::new(self, out))
        })
    }

    #[track_caller]
    fn extreme_dim(&self, dim: i64, keepdim: bool, max: bool) -> (Tensor, Tensor) {
        let (op, name) = if max {
            (ReduceOp::ArgMax, "MaxBackward0")
        } else {
            (ReduceOp::ArgMin, "MinBackward0")
        };
        self.extreme_dim_op(dim, keepdim, op, name)
    }

    #[track_caller]
    fn extreme_dim_op(
        &self,
        dim: i64,
        keepdim: bool,
        op: ReduceOp,
        name: &'static str,
    ) -> (Tensor, Tensor) {
        let d = wrap_dim(dim, self.dim(), name);
        if self.dim() == 0 {
            return (self.clone(), Tensor::scalar(0i64));
        }
        let shape = self.reduced_shape(&[d], keepdim);
        let idx = Tensor::from_storage(self.storage().reduce(self.layout(), &[d], op), &shape);
        let idx_keep = if keepdim {
            idx.clone()
        } else {
            idx.unsqueeze(d as i64)
        };
        let values =
            self.storage()
                .gather(self.layout(), d, &idx_keep.storage(), idx_keep.layout());
        let in_shape = self.shape().to_vec();
        let values = Tensor::from_op(values, &shape, name, &[self], |_| {
            Box::new(ExtremeDimBackward {
                in_shape,
                dim: d,
                indices: idx_keep.clone(),
            })
        });
        (values, idx)
    }

    /// The largest values along `dim` and their indices, as PyTorch's `x.max(dim)`; with
    /// `..`, the largest element (`x.max()`). NaN is the largest value, as in PyTorch;
    /// the first maximum wins ties.
    ///
    /// ```
    /// let x = firelight::Tensor::tensor([[1.0, 5.0], [7.0, 2.0]]);
    /// let (v, i) = x.max(1);
    /// assert_eq!(v.to_vec::<f32>(), vec![5.0, 7.0]);
    /// assert_eq!(i.to_vec::<i64>(), vec![1, 0]);
    /// assert_eq!(x.max(..).item::<f32>(), 7.0);
    /// ```
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn max<D: Dim>(&self, dim: D) -> D::Extreme {
        dim.extreme(self, true)
    }

    /// [`Tensor::max`] over `dim`, keeping it as size 1 (`keepdim=True`).
    ///
    /// ```
    /// let x = firelight::Tensor::tensor([[1.0, 5.0], [7.0, 2.0]]);
    /// let (v, i) = x.max_keepdim(1);
    /// assert_eq!(v.shape(), &[2, 1]);
    /// assert_eq!(i.to_vec::<i64>(), vec![1, 0]);
    /// ```
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn max_keepdim(&self, dim: i64) -> (Tensor, Tensor) {
        self.extreme_dim(dim, true, true)
    }

    /// The smallest values along `dim` and their indices (`x.min(dim)`); with `..`, the
    /// smallest element (`x.min()`).
    ///
    /// ```
    /// let x = firelight::Tensor::tensor([[1.0, 5.0], [7.0, 2.0]]);
    /// assert_eq!(x.min(0).0.to_vec::<f32>(), vec![1.0, 2.0]);
    /// assert_eq!(x.min(..).item::<f32>(), 1.0);
    /// ```
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn min<D: Dim>(&self, dim: D) -> D::Extreme {
        dim.extreme(self, false)
    }

    /// [`Tensor::min`] over `dim`, keeping it as size 1.
    ///
    /// ```
    /// let x = firelight::Tensor::tensor([[1.0, 5.0], [7.0, 2.0]]);
    /// assert_eq!(x.min_keepdim(0).1.to_vec::<i64>(), vec![0, 1]);
    /// ```
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn min_keepdim(&self, dim: i64) -> (Tensor, Tensor) {
        self.extreme_dim(dim, true, false)
    }

    #[track_caller]
    fn arg_all(&self, op: ReduceOp) -> Tensor {
        let flat = self.detach().reshape(&[-1]);
        let s = flat.storage().reduce(flat.layout(), &[0], op);
        Tensor::from_storage(s, &[])
    }

    #[track_caller]
    fn arg(&self, dim: Option<i64>, keepdim: bool, op: ReduceOp, name: &'static str) -> Tensor {
        match dim {
            None => self.arg_all(op),
            Some(d) => self.detach().extreme_dim_op(d, keepdim, op, name).1,
        }
    }

    /// Indices of the largest values along `dim`, like PyTorch's `x.argmax(dim)` (the
    /// first one on ties); `x.argmax(..)` is the index of the largest element of the
    /// flattened tensor (`x.argmax()`).
    ///
    /// ```
    /// let out = firelight::Tensor::tensor([[0.1, 0.9], [0.8, 0.2]]);
    /// assert_eq!(out.argmax(1).to_vec::<i64>(), vec![1, 0]);
    /// assert_eq!(out.argmax(..).item::<i64>(), 1);
    /// ```
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn argmax(&self, dim: impl Dim) -> Tensor {
        self.arg(dim.dim(), false, ReduceOp::ArgMax, "argmax")
    }

    /// [`Tensor::argmax`] over `dim`, keeping it as size 1.
    ///
    /// ```
    /// let out = firelight::Tensor::tensor([[0.1, 0.9], [0.8, 0.2]]);
    /// assert_eq!(out.argmax_keepdim(1).shape(), &[2, 1]);
    /// ```
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn argmax_keepdim(&self, dim: i64) -> Tensor {
        self.arg(Some(dim), true, ReduceOp::ArgMax, "argmax")
    }

    /// Indices of the smallest values along `dim` (`x.argmin(dim)`); `x.argmin(..)` is the
    /// flattened index of the smallest element.
    ///
    /// ```
    /// let out = firelight::Tensor::tensor([[0.1, 0.9], [0.8, 0.2]]);
    /// assert_eq!(out.argmin(0).to_vec::<i64>(), vec![0, 1]);
    /// assert_eq!(out.argmin(..).item::<i64>(), 0);
    /// ```
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn argmin(&self, dim: impl Dim) -> Tensor {
        self.arg(dim.dim(), false, ReduceOp::ArgMin, "argmin")
    }

    /// [`Tensor::argmin`] over `dim`, keeping it as size 1.
    ///
    /// ```
    /// let out = firelight::Tensor::tensor([[0.1, 0.9], [0.8, 0.2]]);
    /// assert_eq!(out.argmin_keepdim(0).to_vec::<i64>(), vec![0, 1]);
    /// ```
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn argmin_keepdim(&self, dim: i64) -> Tensor {
        self.arg(Some(dim), true, ReduceOp::ArgMin, "argmin")
    }

    /// `log(sum(exp(x)))` over `dims`, computed stably (the max is subtracted first), like
    /// `torch.logsumexp(x, dim)`; `..` reduces every dim.
    ///
    /// ```
    /// let x = firelight::Tensor::tensor([1000.0, 1000.0]);
    /// let y = x.logsumexp(0).item::<f32>();
    /// assert!((y - (1000.0 + 2f32.ln())).abs() < 1e-3);
    /// ```
    ///
    /// # Panics
    /// If a dim is out of range or repeated.
    #[track_caller]
    pub fn logsumexp(&self, dims: impl Dims) -> Tensor {
        self.logsumexp_impl(&dims, false)
    }

    /// [`Tensor::logsumexp`] keeping the reduced dims as size 1.
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[2, 3]);
    /// assert_eq!(x.logsumexp_keepdim(1).shape(), &[2, 1]);
    /// ```
    ///
    /// # Panics
    /// As [`Tensor::logsumexp`].
    #[track_caller]
    pub fn logsumexp_keepdim(&self, dims: impl Dims) -> Tensor {
        self.logsumexp_impl(&dims, true)
    }

    #[track_caller]
    fn logsumexp_impl(&self, dims: &impl Dims, keepdim: bool) -> Tensor {
        let d = self.resolve_dims(dims, "logsumexp");
        let x = self.to_dtype(self.float_dtype());
        let dims_i: Vec<i64> = d.iter().map(|&v| v as i64).collect();
        // The shift is a constant for autograd: the result does not depend on it.
        let m = {
            let _g = crate::no_grad();
            let mut m = x.detach();
            for &dim in d.iter().rev() {
                m = m.max_keepdim(dim as i64).0;
            }
            let finite = m.abs().lt(f64::INFINITY);
            Tensor::where_(&finite, &m, &m.zeros_like())
        };
        let out = (&x - &m).exp().sum_keepdim(dims_i).log() + &m;
        if keepdim {
            out
        } else {
            let mut o = out;
            for &dim in d.iter().rev() {
                o = o.squeeze(dim as i64);
            }
            o
        }
    }
}
