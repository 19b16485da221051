//! In-place ops. They write into shared storage (every view sees the change) and bump the
//! storage's version, so a backward pass that saved the old values fails clearly.
use super::Tensor;
use super::elementwise::{Operand, broadcast_layout};
use crate::backend::BinaryOp;
use crate::layout::broadcast_shapes;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

impl Tensor {
    #[track_caller]
    fn check_inplace(&self, op: &str, src: Option<&Tensor>) {
        if !crate::is_grad_enabled() {
            return;
        }
        if self.requires_grad() {
            if self.is_leaf() {
                panic!(
                    "{op}: a leaf tensor that requires grad is being used in an in-place operation; wrap it in `let _g = firelight::no_grad();`"
                );
            }
            panic!(
                "{op}: in-place operations on tensors that are part of the autograd graph are not supported; use the out-of-place op"
            );
        }
        if src.is_some_and(|s| s.requires_grad()) {
            panic!(
                "{op}: the source requires grad, and in-place ops are not recorded; detach() it or use no_grad()"
            );
        }
    }

    /// `src` ready to be written into `self`: same dtype, broadcast to `self`'s shape, and in
    /// storage of its own if it aliased `self`.
    #[track_caller]
    fn inplace_source(&self, src: &Tensor, op: &str) -> (Tensor, crate::layout::Layout) {
        let promoted = super::elementwise::result_type(self, src);
        if promoted != self.dtype() && op != "copy_" {
            panic!(
                "{op}: result type {} can't be cast to the desired output type {}",
                promoted,
                self.dtype()
            );
        }
        let mut s = src.detach().to_dtype(self.dtype());
        if op == "copy_" {
            // As PyTorch's copy_, the source may live on another device.
            s = s.to(&self.device());
        } else {
            super::check_same_device(op, self, &s);
        }
        if s.same_storage(self) {
            s = s.deep_clone();
        }
        let ok = broadcast_shapes(self.shape(), s.shape()).is_some_and(|b| b == **self.shape());
        if !ok {
            panic!(
                "{op}: source of shape {:?} cannot be broadcast to the destination shape {:?}",
                s.shape(),
                self.shape()
            );
        }
        let l = broadcast_layout(&s, self.shape());
        (s, l)
    }

    #[track_caller]
    fn binary_(&self, other: impl Operand, op: BinaryOp, name: &str) -> &Tensor {
        let other = other.to_tensor(self);
        self.check_inplace(name, Some(&other));
        let (src, sl) = self.inplace_source(&other, name);
        self.storage_mut()
            .binary_inplace(self.layout(), &src.storage(), &sl, op);
        self.bump_version();
        self
    }

    /// Adds `other` in place, broadcasting it to this tensor's shape.
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[2]);
    /// x.add_(1.0);
    /// assert_eq!(x.to_vec::<f32>(), vec![1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn add_(&self, other: impl Operand) -> &Tensor {
        self.binary_(other, BinaryOp::Add, "add_")
    }

    /// Subtracts `other` in place: the tutorial's `weights -= weights.grad * lr`.
    ///
    /// ```
    /// use firelight::Tensor;
    /// let w = Tensor::ones(&[2]).requires_grad_(true);
    /// (&w * 3.0).sum(..).backward();
    /// {
    ///     let _g = firelight::no_grad();
    ///     w.sub_(&w.grad().unwrap() * 0.1);
    ///     w.grad().unwrap().zero_();
    /// }
    /// assert!((w.to_vec::<f32>()[0] - 0.7).abs() < 1e-6);
    /// ```
    #[track_caller]
    pub fn sub_(&self, other: impl Operand) -> &Tensor {
        self.binary_(other, BinaryOp::Sub, "sub_")
    }

    /// Multiplies by `other` in place.
    #[track_caller]
    pub fn mul_(&self, other: impl Operand) -> &Tensor {
        self.binary_(other, BinaryOp::Mul, "mul_")
    }

    /// Divides by `other` in place.
    #[track_caller]
    pub fn div_(&self, other: impl Operand) -> &Tensor {
        self.binary_(other, BinaryOp::Div, "div_")
    }

    /// Copies `src` (broadcast, and cast to this dtype) into this tensor.
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[2, 2]);
    /// x.copy_(&firelight::Tensor::tensor([1.0, 2.0]));
    /// assert_eq!(x.to_vec::<f32>(), vec![1.0, 2.0, 1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn copy_(&self, src: &Tensor) -> &Tensor {
        self.check_inplace("copy_", Some(src));
        let (s, sl) = self.inplace_source(src, "copy_");
        self.storage_mut().assign(self.layout(), &s.storage(), &sl);
        self.bump_version();
        self
    }

    /// Sets every element to `value`.
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[2]);
    /// x.fill_(3.0);
    /// assert_eq!(x.to_vec::<f32>(), vec![3.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn fill_(&self, value: f64) -> &Tensor {
        self.check_inplace("fill_", None);
        let v = Tensor::full_with(&[], value, self.dtype(), self.device());
        let sl = broadcast_layout(&v, self.shape());
        self.storage_mut().assign(self.layout(), &v.storage(), &sl);
        self.bump_version();
        self
    }

    /// Sets every element to zero, as `w.grad.zero_()` does in the tutorial.
    ///
    /// ```
    /// let g = firelight::Tensor::ones(&[3]);
    /// g.zero_();
    /// assert_eq!(g.sum(..).item::<f32>(), 0.0);
    /// ```
    #[track_caller]
    pub fn zero_(&self) -> &Tensor {
        self.fill_(0.0)
    }

    /// Accumulates a same-shape gradient into this (detached) tensor; for the engine.
    pub(crate) fn add_assign_raw(&self, g: &Tensor) {
        let g = if g.same_storage(self) {
            g.deep_clone()
        } else {
            g.clone()
        };
        let g = g.to_dtype(self.dtype());
        self.storage_mut()
            .binary_inplace(self.layout(), &g.storage(), g.layout(), BinaryOp::Add);
        self.bump_version();
    }
}

macro_rules! assign_operator {
    ($trait:ident, $method:ident, $inplace:ident) => {
        impl<R: Operand> $trait<R> for Tensor {
            #[track_caller]
            fn $method(&mut self, rhs: R) {
                self.$inplace(rhs);
            }
        }
    };
}
assign_operator!(AddAssign, add_assign, add_);
assign_operator!(SubAssign, sub_assign, sub_);
assign_operator!(MulAssign, mul_assign, mul_);
assign_operator!(DivAssign, div_assign, div_);
