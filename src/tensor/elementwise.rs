//! Elementwise ops: arithmetic with broadcasting and type promotion, math functions,
//! comparisons, `where`, casts, and the `+ - * /` operators.
use super::Tensor;
use crate::DType;
use crate::autograd::rules::elementwise::{
    BinaryBackward, CastBackward, UnaryBackward, WhereBackward,
};
use crate::backend::{BinaryOp, CmpOp, Storage, UnaryOp};
use crate::layout::{Layout, broadcast_shapes};
use std::ops::{Add, Div, Mul, Neg, Sub};
use std::sync::RwLockReadGuard;

/// Something that can be the other side of an elementwise op: a tensor, or a Rust number
/// (which becomes a scalar of a dtype chosen as PyTorch chooses for Python numbers).
pub trait Operand {
    /// This operand as a tensor, given the tensor on the other side.
    fn to_tensor(&self, other: &Tensor) -> Tensor;
    /// The value, when the operand is a plain number.
    fn as_scalar(&self) -> Option<f64> {
        None
    }
}

impl Operand for &Tensor {
    fn to_tensor(&self, _: &Tensor) -> Tensor {
        (*self).clone()
    }
}

impl Operand for Tensor {
    fn to_tensor(&self, _: &Tensor) -> Tensor {
        self.clone()
    }
}

macro_rules! float_operand {
    ($t:ty) => {
        impl Operand for $t {
            fn to_tensor(&self, other: &Tensor) -> Tensor {
                // A Python float keeps a float tensor's dtype and makes an integer tensor the
                // default float dtype.
                Tensor::full_with(&[], *self as f64, other.float_dtype(), other.device())
            }
            fn as_scalar(&self) -> Option<f64> {
                Some(*self as f64)
            }
        }
    };
}
float_operand!(f32);
float_operand!(f64);

macro_rules! int_operand {
    ($t:ty) => {
        impl Operand for $t {
            fn to_tensor(&self, other: &Tensor) -> Tensor {
                // A Python int keeps the tensor's dtype (bool becomes int64).
                let dtype = if other.dtype() == DType::Bool {
                    DType::I64
                } else {
                    other.dtype()
                };
                Tensor::full_with(&[], *self as f64, dtype, other.device())
            }
            fn as_scalar(&self) -> Option<f64> {
                Some(*self as f64)
            }
        }
    };
}
int_operand!(i64);
int_operand!(i32);

/// The read-locked storages of two tensors, locked once when they share storage. A guard
/// rather than a closure taking both, so that a kernel's panic still names the caller's
/// line (`#[track_caller]` does not pass through closures).
pub(crate) enum Storages<'a> {
    One(RwLockReadGuard<'a, Storage>),
    Two(RwLockReadGuard<'a, Storage>, RwLockReadGuard<'a, Storage>),
}

impl Storages<'_> {
    pub(crate) fn get(&self) -> (&Storage, &Storage) {
        match self {
            Storages::One(s) => (s, s),
            Storages::Two(a, b) => (a, b),
        }
    }
}

pub(crate) fn storages<'a>(a: &'a Tensor, b: &'a Tensor) -> Storages<'a> {
    if a.same_storage(b) {
        Storages::One(a.storage())
    } else {
        Storages::Two(a.storage(), b.storage())
    }
}

/// The dtype of an op on two tensors, by PyTorch's rule: a zero-dim tensor takes part only
/// when its category (bool < integer < float) is higher than the other operand's. So
/// `f32 [3] + f64 0-dim` is f32 (as with a Python float), but `i64 [3] + f32 0-dim` is f32.
pub(crate) fn result_type(a: &Tensor, b: &Tensor) -> DType {
    fn category(d: DType) -> u8 {
        match d {
            DType::Bool => 0,
            DType::U8 | DType::I64 => 1,
            DType::F32 | DType::F64 => 2,
        }
    }
    let (da, db) = (a.dtype(), b.dtype());
    match (a.dim() == 0, b.dim() == 0) {
        (true, false) if category(da) <= category(db) => db,
        (false, true) if category(db) <= category(da) => da,
        _ => da.promote(db),
    }
}

/// The broadcast shape of two tensors, or a panic naming the op and both shapes.
#[track_caller]
pub(crate) fn broadcast(op: &str, a: &Tensor, b: &Tensor) -> Vec<usize> {
    if a.shape() == b.shape() {
        return a.shape().to_vec();
    }
    // A `match`, not `unwrap_or_else`: a closure would hide the caller's location.
    match broadcast_shapes(a.shape(), b.shape()) {
        Some(shape) => shape,
        None => panic!(
            "{op}: shapes {:?} and {:?} cannot be broadcast together",
            a.shape(),
            b.shape()
        ),
    }
}

/// `t`'s layout viewed with the broadcast `shape` (stride 0 where it repeats).
pub(crate) fn broadcast_layout(t: &Tensor, shape: &[usize]) -> Layout {
    let l = t.layout();
    if l.shape == *shape {
        return l.clone();
    }
    Layout {
        shape: shape.to_vec().into(),
        strides: l.broadcast_strides(shape),
        offset: l.offset,
    }
}

/// As PyTorch: a zero-dim CPU tensor (a scalar) may meet a tensor on another device, and
/// moves there; any other pair keeps its devices, for the caller to check.
#[track_caller]
pub(crate) fn scalar_to_device(a: &Tensor, b: &Tensor) -> (Tensor, Tensor) {
    let (da, db) = (a.device(), b.device());
    if da == db {
        (a.clone(), b.clone())
    } else if da == crate::Device::Cpu && a.dim() == 0 {
        (a.to(&db), b.clone())
    } else if db == crate::Device::Cpu && b.dim() == 0 {
        (a.clone(), b.to(&da))
    } else {
        (a.clone(), b.clone())
    }
}

impl Tensor {
    #[track_caller]
    fn cast_for(&self, dtype: DType) -> Tensor {
        if self.dtype() == dtype {
            self.clone()
        } else {
            self.to_dtype(dtype)
        }
    }

    #[track_caller]
    fn binary(&self, rhs: &Tensor, op: BinaryOp, name: &'static str, op_name: &str) -> Tensor {
        if self.device() != rhs.device() {
            let (a, b) = scalar_to_device(self, rhs);
            super::check_same_device(op_name, &a, &b);
            return a.binary(&b, op, name, op_name);
        }
        let mut dtype = result_type(self, rhs);
        if op == BinaryOp::Div && !dtype.is_float() {
            dtype = crate::get_default_dtype(); // true division, as in PyTorch
        }
        let a = self.cast_for(dtype);
        let b = rhs.cast_for(dtype);
        let shape = broadcast(op_name, &a, &b);
        let (la, lb) = (broadcast_layout(&a, &shape), broadcast_layout(&b, &shape));
        let storage = {
            let locked = storages(&a, &b);
            let (sa, sb) = locked.get();
            sa.binary(&la, sb, &lb, op)
        };
        Tensor::from_op(storage, &shape, name, &[&a, &b], |out| {
            Box::new(BinaryBackward::new(op, &a, &b, out))
        })
    }

    #[track_caller]
    fn unary(&self, op: UnaryOp, name: &'static str) -> Tensor {
        let storage = self.storage().unary(self.layout(), op);
        Tensor::from_op(storage, self.shape(), name, &[self], |out| {
            Box::new(UnaryBackward::new(op, self, out))
        })
    }

    /// Float-only functions turn integer input into f32 first, as PyTorch does.
    #[track_caller]
    fn float_unary(&self, op: UnaryOp, name: &'static str) -> Tensor {
        self.cast_for(self.float_dtype()).unary(op, name)
    }

    /// `self + other`, broadcasting; `other` may be a tensor or a number.
    ///
    /// ```
    /// use firelight::Tensor;
    /// let x = Tensor::zeros(&[2, 3]);
    /// let b = Tensor::ones(&[3]);
    /// assert_eq!(x.add(&b).add(1.0).to_vec::<f32>(), vec![2.0; 6]);
    /// ```
    #[track_caller]
    pub fn add(&self, other: impl Operand) -> Tensor {
        self.binary(&other.to_tensor(self), BinaryOp::Add, "AddBackward0", "add")
    }

    /// `self - other`, broadcasting.
    #[track_caller]
    pub fn sub(&self, other: impl Operand) -> Tensor {
        self.binary(&other.to_tensor(self), BinaryOp::Sub, "SubBackward0", "sub")
    }

    /// `self * other`, broadcasting.
    #[track_caller]
    pub fn mul(&self, other: impl Operand) -> Tensor {
        self.binary(&other.to_tensor(self), BinaryOp::Mul, "MulBackward0", "mul")
    }

    /// `self / other`, broadcasting; integer operands give a float result (true division).
    ///
    /// ```
    /// let x = firelight::Tensor::arange(3);
    /// assert_eq!(x.div(2).to_vec::<f32>(), vec![0.0, 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn div(&self, other: impl Operand) -> Tensor {
        self.binary(&other.to_tensor(self), BinaryOp::Div, "DivBackward0", "div")
    }

    /// `self ** exponent`; the exponent may be a number or a tensor.
    ///
    /// ```
    /// let x = firelight::Tensor::tensor([2.0, 3.0]);
    /// assert_eq!(x.pow(2).to_vec::<f32>(), vec![4.0, 9.0]);
    /// ```
    #[track_caller]
    pub fn pow(&self, exponent: impl Operand) -> Tensor {
        match exponent.as_scalar() {
            Some(e) => {
                let base = if e.fract() != 0.0 || e < 0.0 {
                    self.cast_for(self.float_dtype())
                } else {
                    self.clone()
                };
                base.unary(UnaryOp::PowScalar(e), "PowBackward0")
            }
            None => self.binary(
                &exponent.to_tensor(self),
                BinaryOp::Pow,
                "PowBackward1",
                "pow",
            ),
        }
    }

    /// The larger of two tensors elementwise (NaN wins), broadcasting.
    #[track_caller]
    pub fn maximum(&self, other: impl Operand) -> Tensor {
        self.binary(
            &other.to_tensor(self),
            BinaryOp::Maximum,
            "MaximumBackward0",
            "maximum",
        )
    }

    /// The smaller of two tensors elementwise (NaN wins), broadcasting.
    #[track_caller]
    pub fn minimum(&self, other: impl Operand) -> Tensor {
        self.binary(
            &other.to_tensor(self),
            BinaryOp::Minimum,
            "MinimumBackward0",
            "minimum",
        )
    }

    /// `-self`.
    #[track_caller]
    pub fn neg(&self) -> Tensor {
        self.unary(UnaryOp::Neg, "NegBackward0")
    }

    /// `|self|`.
    #[track_caller]
    pub fn abs(&self) -> Tensor {
        self.unary(UnaryOp::Abs, "AbsBackward0")
    }

    /// -1, 0 or 1 by the sign of each element.
    #[track_caller]
    pub fn sign(&self) -> Tensor {
        self.unary(UnaryOp::Sign, "SignBackward0")
    }

    /// `e ** self`.
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[1]);
    /// assert_eq!(x.exp().item::<f32>(), 1.0);
    /// ```
    #[track_caller]
    pub fn exp(&self) -> Tensor {
        self.float_unary(UnaryOp::Exp, "ExpBackward0")
    }

    /// The natural logarithm.
    #[track_caller]
    pub fn log(&self) -> Tensor {
        self.float_unary(UnaryOp::Log, "LogBackward0")
    }

    /// The square root.
    #[track_caller]
    pub fn sqrt(&self) -> Tensor {
        self.float_unary(UnaryOp::Sqrt, "SqrtBackward0")
    }

    /// `max(self, 0)`.
    ///
    /// ```
    /// let x = firelight::Tensor::tensor([-1.0, 2.0]);
    /// assert_eq!(x.relu().to_vec::<f32>(), vec![0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn relu(&self) -> Tensor {
        self.unary(UnaryOp::Relu, "ReluBackward0")
    }

    /// The error function `erf(x) = 2/sqrt(pi) * integral_0^x e^(-t^2) dt`, like
    /// `torch.erf`.
    ///
    /// ```
    /// let x = firelight::Tensor::from_vec(vec![0.0f64, 1.0, -2.0], &[3]);
    /// let y = x.erf().to_vec::<f64>();
    /// assert!((y[1] - 0.8427007929497149).abs() < 1e-15);
    /// assert!((y[2] + 0.9953222650189527).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn erf(&self) -> Tensor {
        self.float_unary(UnaryOp::Erf, "ErfBackward0")
    }

    /// `1 / (1 + e ** -self)`.
    #[track_caller]
    pub fn sigmoid(&self) -> Tensor {
        self.float_unary(UnaryOp::Sigmoid, "SigmoidBackward0")
    }

    /// The hyperbolic tangent.
    #[track_caller]
    pub fn tanh(&self) -> Tensor {
        self.float_unary(UnaryOp::Tanh, "TanhBackward0")
    }

    /// Clamps every element into `[min, max]`.
    ///
    /// ```
    /// let x = firelight::Tensor::tensor([-2.0, 0.5, 3.0]);
    /// assert_eq!(x.clamp(-1.0, 1.0).to_vec::<f32>(), vec![-1.0, 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn clamp(&self, min: f64, max: f64) -> Tensor {
        assert!(
            !(min > max),
            "clamp: min ({min}) must not exceed max ({max})"
        );
        self.for_bounds(&[min, max])
            .unary(UnaryOp::Clamp(min, max), "ClampBackward1")
    }

    /// Clamps from below only.
    #[track_caller]
    pub fn clamp_min(&self, min: f64) -> Tensor {
        self.for_bounds(&[min])
            .unary(UnaryOp::Clamp(min, f64::INFINITY), "ClampMinBackward0")
    }

    /// Clamps from above only.
    #[track_caller]
    pub fn clamp_max(&self, max: f64) -> Tensor {
        self.for_bounds(&[max])
            .unary(UnaryOp::Clamp(f64::NEG_INFINITY, max), "ClampMaxBackward0")
    }

    /// An integer tensor clamped to a fractional bound becomes a float tensor first, as
    /// PyTorch types a Python float bound (else the bound would be truncated); whole bounds
    /// keep the integer dtype, as a Python int bound does.
    #[track_caller]
    fn for_bounds(&self, bounds: &[f64]) -> Tensor {
        if bounds.iter().any(|b| b.is_finite() && b.fract() != 0.0) {
            self.cast_for(self.float_dtype())
        } else {
            self.clone()
        }
    }

    #[track_caller]
    fn compare(&self, other: impl Operand, op: CmpOp, op_name: &str) -> Tensor {
        let other = other.to_tensor(self);
        if self.device() != other.device() {
            let (a, b) = scalar_to_device(self, &other);
            super::check_same_device(op_name, &a, &b);
            return a.compare(&b, op, op_name);
        }
        let dtype = result_type(self, &other);
        let (a, b) = (
            self.detach().cast_for(dtype),
            other.detach().cast_for(dtype),
        );
        let shape = broadcast(op_name, &a, &b);
        let (la, lb) = (broadcast_layout(&a, &shape), broadcast_layout(&b, &shape));
        let storage = {
            let locked = storages(&a, &b);
            let (sa, sb) = locked.get();
            sa.cmp(&la, sb, &lb, op)
        };
        Tensor::from_storage(storage, &shape)
    }

    /// Elementwise `self == other`, as a bool tensor.
    ///
    /// ```
    /// let preds = firelight::Tensor::tensor([1, 2, 3]);
    /// let y = firelight::Tensor::tensor([1, 0, 3]);
    /// assert_eq!(preds.eq(&y).float().mean(..).item::<f32>(), 2.0 / 3.0);
    /// ```
    #[track_caller]
    pub fn eq(&self, other: impl Operand) -> Tensor {
        self.compare(other, CmpOp::Eq, "eq")
    }

    /// Elementwise `self != other`.
    #[track_caller]
    pub fn ne(&self, other: impl Operand) -> Tensor {
        self.compare(other, CmpOp::Ne, "ne")
    }

    /// Elementwise `self < other`.
    #[track_caller]
    pub fn lt(&self, other: impl Operand) -> Tensor {
        self.compare(other, CmpOp::Lt, "lt")
    }

    /// Elementwise `self <= other`.
    #[track_caller]
    pub fn le(&self, other: impl Operand) -> Tensor {
        self.compare(other, CmpOp::Le, "le")
    }

    /// Elementwise `self > other`.
    #[track_caller]
    pub fn gt(&self, other: impl Operand) -> Tensor {
        self.compare(other, CmpOp::Gt, "gt")
    }

    /// Elementwise `self >= other`.
    #[track_caller]
    pub fn ge(&self, other: impl Operand) -> Tensor {
        self.compare(other, CmpOp::Ge, "ge")
    }

    /// `x` where `condition` is true, else `y` (all three broadcast), like `torch.where`.
    ///
    /// ```
    /// use firelight::Tensor;
    /// let x = Tensor::tensor([-1.0, 2.0]);
    /// let y = Tensor::where_(&x.gt(0.0), &x, &Tensor::zeros(&[1]));
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn where_(condition: &Tensor, x: &Tensor, y: &Tensor) -> Tensor {
        assert_eq!(
            condition.dtype(),
            DType::Bool,
            "where: condition must be a bool tensor, got {}",
            condition.dtype()
        );
        let dtype = result_type(x, y);
        let (x, y) = (x.cast_for(dtype), y.cast_for(dtype));
        let xy = broadcast("where", &x, &y);
        let Some(shape) = broadcast_shapes(&xy, condition.shape()) else {
            panic!(
                "where: condition shape {:?} cannot be broadcast with {:?}",
                condition.shape(),
                xy
            )
        };
        let (lc, lx, ly) = (
            broadcast_layout(condition, &shape),
            broadcast_layout(&x, &shape),
            broadcast_layout(&y, &shape),
        );
        let storage = {
            let c = condition.storage();
            let locked = storages(&x, &y);
            let (sx, sy) = locked.get();
            Storage::where_cond(&c, &lc, sx, &lx, sy, &ly)
        };
        Tensor::from_op(storage, &shape, "WhereBackward0", &[&x, &y], |_| {
            Box::new(WhereBackward::new(condition, &x, &y))
        })
    }

    /// `value` where `mask` is true, else this tensor's elements.
    ///
    /// ```
    /// let x = firelight::Tensor::tensor([1.0, 2.0]);
    /// assert_eq!(x.masked_fill(&x.gt(1.5), 0.0).to_vec::<f32>(), vec![1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn masked_fill(&self, mask: &Tensor, value: f64) -> Tensor {
        let v = Tensor::full_with(&[], value, self.dtype(), self.device());
        Tensor::where_(mask, &v, self)
    }

    /// A copy with another dtype (a no-op handle when it already has it).
    ///
    /// ```
    /// use firelight::DType;
    /// let x = firelight::Tensor::tensor([1.7, -1.7]);
    /// assert_eq!(x.to_dtype(DType::I64).to_vec::<i64>(), vec![1, -1]);
    /// ```
    #[track_caller]
    pub fn to_dtype(&self, dtype: DType) -> Tensor {
        if self.dtype() == dtype {
            return self.clone();
        }
        let storage = self.storage().to_dtype(self.layout(), dtype);
        if !dtype.is_float() {
            return Tensor::from_storage(storage, self.shape());
        }
        Tensor::from_op(storage, self.shape(), "ToCopyBackward0", &[self], |_| {
            Box::new(CastBackward { from: self.dtype() })
        })
    }

    /// `to_dtype(DType::F32)`.
    #[track_caller]
    pub fn float(&self) -> Tensor {
        self.to_dtype(DType::F32)
    }

    /// `to_dtype(DType::F64)`.
    #[track_caller]
    pub fn double(&self) -> Tensor {
        self.to_dtype(DType::F64)
    }

    /// `to_dtype(DType::I64)`.
    #[track_caller]
    pub fn long(&self) -> Tensor {
        self.to_dtype(DType::I64)
    }
}

macro_rules! binary_operator {
    ($trait:ident, $method:ident) => {
        impl<R: Operand> $trait<R> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: R) -> Tensor {
                Tensor::$method(&self, rhs)
            }
        }
        impl<R: Operand> $trait<R> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: R) -> Tensor {
                Tensor::$method(self, rhs)
            }
        }
        impl $trait<Tensor> for f32 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                Tensor::$method(&self.to_tensor(&rhs), &rhs)
            }
        }
        impl $trait<&Tensor> for f32 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                Tensor::$method(&self.to_tensor(rhs), rhs)
            }
        }
        impl $trait<Tensor> for f64 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                Tensor::$method(&self.to_tensor(&rhs), &rhs)
            }
        }
        impl $trait<&Tensor> for f64 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                Tensor::$method(&self.to_tensor(rhs), rhs)
            }
        }
    };
}
binary_operator!(Add, add);
binary_operator!(Sub, sub);
binary_operator!(Mul, mul);
binary_operator!(Div, div);

impl Neg for Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        Tensor::neg(&self)
    }
}

impl Neg for &Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        Tensor::neg(self)
    }
}

#[cfg(test)]
mod tests {
    use crate::{DType, Tensor};

    #[test]
    fn zero_dim_tensors_yield_to_dimensioned_ones_of_the_same_category() {
        let f32s = Tensor::from_vec(vec![0.1f32, 2.0], &[2]);
        let f64_scalar = Tensor::scalar(0.1f64);
        assert_eq!((&f32s + &f64_scalar).dtype(), DType::F32);
        assert_eq!((&f64_scalar + &f32s).dtype(), DType::F32);
        // Compared in f32, where 0.1 equals 0.1.
        assert_eq!(f32s.eq(&f64_scalar).to_vec::<bool>(), vec![true, false]);
        let cond = Tensor::from_vec(vec![true, false], &[2]);
        assert_eq!(
            Tensor::where_(&cond, &f32s, &f64_scalar).dtype(),
            DType::F32
        );
        // A higher category still wins, and two zero-dim tensors promote as usual.
        let ints = Tensor::from_vec(vec![1i64, 2], &[2]);
        assert_eq!((&ints + &f64_scalar).dtype(), DType::F64);
        assert_eq!((&Tensor::scalar(1i64) + &f64_scalar).dtype(), DType::F64);
        assert_eq!((&ints + &Tensor::scalar(3i64)).dtype(), DType::I64);
    }

    #[test]
    fn integer_clamp_to_a_fractional_bound_is_float() {
        let x = Tensor::from_vec(vec![1i64, 2, 3], &[3]);
        assert_eq!(x.clamp(0.5, 2.5).to_vec::<f32>(), vec![1.0, 2.0, 2.5]);
        assert_eq!(x.clamp_min(1.5).dtype(), DType::F32);
        assert_eq!(x.clamp(0.0, 2.0).to_vec::<i64>(), vec![1, 2, 2]);
        assert_eq!(x.clamp_max(2.0).dtype(), DType::I64);
    }
}
