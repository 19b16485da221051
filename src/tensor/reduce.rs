//! Reductions: sum, mean, max, min, argmax, argmin, logsumexp.
use super::{Tensor, wrap_dim};
use crate::autograd::rules::reduce::{
    ExtremeAllBackward, ExtremeDimBackward, MeanBackward, SumBackward,
};
use crate::backend::{BinaryOp, ReduceOp, Storage};
use crate::layout::Layout;

/// One dim or several, each possibly negative: `1`, `-1`, `&[0, 2]`, `[1, 2]`.
pub trait Dims {
    /// The dims as given.
    fn dims(&self) -> Vec<i64>;
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

impl Tensor {
    /// Sorted, unique, non-negative dims.
    fn resolve_dims(&self, dims: &impl Dims, op: &str) -> Vec<usize> {
        // An empty list reduces over every dim, as in PyTorch.
        if dims.dims().is_empty() {
            return (0..self.dim()).collect();
        }
        let mut d: Vec<usize> = dims
            .dims()
            .iter()
            .map(|&d| wrap_dim(d, self.dim(), op))
            .collect();
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

    /// The sum of all elements, as a 0-dim tensor (int64 for integer and bool input).
    ///
    /// ```
    /// let x = firelight::Tensor::ones(&[2, 3]);
    /// assert_eq!(x.sum().item::<f32>(), 6.0);
    /// ```
    pub fn sum(&self) -> Tensor {
        self.sum_impl((0..self.dim()).collect(), false, "SumBackward0")
    }

    /// The sum over `dims`, keeping them as size 1 when `keepdim`.
    ///
    /// ```
    /// let x = firelight::Tensor::ones(&[2, 3]);
    /// assert_eq!(x.sum_dim(-1, false).shape(), &[2]);
    /// assert_eq!(x.sum_dim([0, 1], true).shape(), &[1, 1]);
    /// ```
    pub fn sum_dim(&self, dims: impl Dims, keepdim: bool) -> Tensor {
        let dims = self.resolve_dims(&dims, "sum");
        self.sum_impl(dims, keepdim, "SumBackward1")
    }

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

    /// The mean of all elements (float tensors only, as in PyTorch).
    ///
    /// ```
    /// let x = firelight::Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 6.0], &[4]);
    /// assert_eq!(x.mean().item::<f32>(), 3.0);
    /// ```
    pub fn mean(&self) -> Tensor {
        self.mean_impl((0..self.dim()).collect(), false, "MeanBackward0")
    }

    /// The mean over `dims`.
    ///
    /// ```
    /// let x = firelight::Tensor::from_vec(vec![1.0f32, 3.0, 5.0, 7.0], &[2, 2]);
    /// assert_eq!(x.mean_dim(0, false).to_vec::<f32>(), vec![3.0, 5.0]);
    /// ```
    pub fn mean_dim(&self, dims: impl Dims, keepdim: bool) -> Tensor {
        let dims = self.resolve_dims(&dims, "mean");
        self.mean_impl(dims, keepdim, "MeanBackward1")
    }

    fn extreme_all(&self, op: ReduceOp, name: &'static str) -> Tensor {
        let dims: Vec<usize> = (0..self.dim()).collect();
        let storage = self.storage().reduce(self.layout(), &dims, op);
        Tensor::from_op(storage, &[], name, &[self], |out| {
            Box::new(ExtremeAllBackward::new(self, out))
        })
    }

    /// The largest element (NaN if any is NaN).
    ///
    /// ```
    /// let x = firelight::Tensor::from_vec(vec![1.0f32, 5.0, 3.0], &[3]);
    /// assert_eq!(x.max().item::<f32>(), 5.0);
    /// ```
    pub fn max(&self) -> Tensor {
        self.extreme_all(ReduceOp::Max, "MaxBackward1")
    }

    /// The smallest element.
    pub fn min(&self) -> Tensor {
        self.extreme_all(ReduceOp::Min, "MinBackward1")
    }

    fn extreme_dim(
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

    /// The largest value along `dim` and its index, like `torch.max(x, dim)`.
    ///
    /// ```
    /// let x = firelight::Tensor::from_vec(vec![1.0f32, 5.0, 7.0, 2.0], &[2, 2]);
    /// let (v, i) = x.max_dim(1, false);
    /// assert_eq!(v.to_vec::<f32>(), vec![5.0, 7.0]);
    /// assert_eq!(i.to_vec::<i64>(), vec![1, 0]);
    /// ```
    pub fn max_dim(&self, dim: i64, keepdim: bool) -> (Tensor, Tensor) {
        self.extreme_dim(dim, keepdim, ReduceOp::ArgMax, "MaxBackward0")
    }

    /// The smallest value along `dim` and its index.
    pub fn min_dim(&self, dim: i64, keepdim: bool) -> (Tensor, Tensor) {
        self.extreme_dim(dim, keepdim, ReduceOp::ArgMin, "MinBackward0")
    }

    fn arg_all(&self, op: ReduceOp) -> Tensor {
        let flat = self.detach().reshape(&[-1]);
        let s = flat.storage().reduce(flat.layout(), &[0], op);
        Tensor::from_storage(s, &[])
    }

    /// The index of the largest element of the flattened tensor (first one on ties).
    ///
    /// ```
    /// let x = firelight::Tensor::from_vec(vec![1.0f32, 5.0, 7.0, 2.0], &[2, 2]);
    /// assert_eq!(x.argmax().item::<i64>(), 2);
    /// ```
    pub fn argmax(&self) -> Tensor {
        self.arg_all(ReduceOp::ArgMax)
    }

    /// The index of the smallest element of the flattened tensor.
    pub fn argmin(&self) -> Tensor {
        self.arg_all(ReduceOp::ArgMin)
    }

    /// Indices of the largest values along `dim`, like `torch.argmax(x, dim)`.
    ///
    /// ```
    /// let out = firelight::Tensor::from_vec(vec![0.1f32, 0.9, 0.8, 0.2], &[2, 2]);
    /// assert_eq!(out.argmax_dim(1, false).to_vec::<i64>(), vec![1, 0]);
    /// ```
    pub fn argmax_dim(&self, dim: i64, keepdim: bool) -> Tensor {
        self.detach()
            .extreme_dim(dim, keepdim, ReduceOp::ArgMax, "argmax")
            .1
    }

    /// Indices of the smallest values along `dim`.
    pub fn argmin_dim(&self, dim: i64, keepdim: bool) -> Tensor {
        self.detach()
            .extreme_dim(dim, keepdim, ReduceOp::ArgMin, "argmin")
            .1
    }

    /// `log(sum(exp(x)))` over `dims`, computed stably (the max is subtracted first).
    ///
    /// ```
    /// let x = firelight::Tensor::from_vec(vec![1000.0f32, 1000.0], &[2]);
    /// let y = x.logsumexp(0, false).item::<f32>();
    /// assert!((y - (1000.0 + 2f32.ln())).abs() < 1e-3);
    /// ```
    pub fn logsumexp(&self, dims: impl Dims, keepdim: bool) -> Tensor {
        let d = self.resolve_dims(&dims, "logsumexp");
        let x = self.to_dtype(self.float_dtype());
        let dims_i: Vec<i64> = d.iter().map(|&v| v as i64).collect();
        // The shift is a constant for autograd: the result does not depend on it.
        let m = {
            let _g = crate::no_grad();
            let mut m = x.detach();
            for &dim in d.iter().rev() {
                m = m.max_dim(dim as i64, true).0;
            }
            let finite = m.abs().lt(f64::INFINITY);
            Tensor::where_(&finite, &m, &m.zeros_like())
        };
        let out = (&x - &m).exp().sum_dim(dims_i.clone(), true).log() + &m;
        if keepdim {
            out
        } else {
            let mut o = out;
            for &dim in d.iter().rev() {
                o = o.squeeze_dim(dim as i64);
            }
            o
        }
    }
}
