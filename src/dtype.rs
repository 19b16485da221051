//! Runtime element types, and the Rust types that carry them.
use std::fmt;

/// The element type of a tensor, chosen at run time as in PyTorch.
///
/// ```
/// use firelight::{DType, Tensor};
/// assert_eq!(Tensor::zeros(&[2]).dtype(), DType::F32);
/// assert_eq!(Tensor::arange(3).dtype(), DType::I64);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// 32-bit float (`torch.float32`), the default for floats.
    F32,
    /// 64-bit float (`torch.float64`).
    F64,
    /// 64-bit signed integer (`torch.int64`), used for labels and indices.
    I64,
    /// 8-bit unsigned integer (`torch.uint8`), as raw image bytes come.
    U8,
    /// Boolean (`torch.bool`), the result of comparisons.
    Bool,
}

impl DType {
    /// True for f32 and f64.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }
    /// Bytes per element.
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 | DType::I64 => 8,
            DType::U8 | DType::Bool => 1,
        }
    }
    /// The name PyTorch prints for this dtype (`torch.float32` without `torch.`).
    pub fn torch_name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::I64 => "int64",
            DType::U8 => "uint8",
            DType::Bool => "bool",
        }
    }
    /// PyTorch's type promotion for two tensor operands: bool < u8 < i64 < f32 < f64.
    pub fn promote(self, other: DType) -> DType {
        fn rank(d: DType) -> u8 {
            match d {
                DType::Bool => 0,
                DType::U8 => 1,
                DType::I64 => 2,
                DType::F32 => 3,
                DType::F64 => 4,
            }
        }
        if rank(self) >= rank(other) {
            self
        } else {
            other
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "torch.{}", self.torch_name())
    }
}

/// A Rust type that can be a tensor element: `f32`, `f64`, `i64`, `u8`, `bool`.
pub trait Element: Copy + Send + Sync + PartialOrd + fmt::Debug + 'static {
    /// The runtime dtype of this Rust type.
    const DTYPE: DType;
    /// Zero of this type.
    const ZERO: Self;
    /// One of this type.
    const ONE: Self;
    /// Converts from f64 the way PyTorch casts (truncation toward zero for integers).
    fn from_f64(v: f64) -> Self;
    /// Converts to f64.
    fn to_f64(self) -> f64;
}

macro_rules! element {
    ($t:ty, $d:ident, $zero:expr, $one:expr, $from:expr, $to:expr) => {
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            const ZERO: Self = $zero;
            const ONE: Self = $one;
            #[inline]
            fn from_f64(v: f64) -> Self {
                let f: fn(f64) -> $t = $from;
                f(v)
            }
            #[inline]
            fn to_f64(self) -> f64 {
                let f: fn($t) -> f64 = $to;
                f(self)
            }
        }
    };
}
element!(f32, F32, 0.0, 1.0, |v| v as f32, |x| x as f64);
element!(f64, F64, 0.0, 1.0, |v| v, |x| x);
element!(i64, I64, 0, 1, |v| v as i64, |x| x as f64);
element!(u8, U8, 0, 1, |v| v as i64 as u8, |x| x as f64);
element!(bool, Bool, false, true, |v| v != 0.0, |x| if x {
    1.0
} else {
    0.0
});

/// Floating-point elements: the math that unary ops need.
pub trait Float: Element + num_like::FloatOps {}
impl Float for f32 {}
impl Float for f64 {}

pub(crate) mod num_like {
    /// The float math used by kernels, implemented for f32 and f64.
    pub trait FloatOps:
        Copy
        + std::ops::Add<Output = Self>
        + std::ops::Sub<Output = Self>
        + std::ops::Mul<Output = Self>
        + std::ops::Div<Output = Self>
        + std::ops::Neg<Output = Self>
        + PartialOrd
    {
        fn exp(self) -> Self;
        fn ln(self) -> Self;
        fn sqrt(self) -> Self;
        fn abs(self) -> Self;
        fn tanh(self) -> Self;
        fn powf(self, e: Self) -> Self;
        fn is_nan(self) -> bool;
        fn from_f64c(v: f64) -> Self;
        fn to_f64c(self) -> f64;
        const NEG_INF: Self;
        const INF: Self;
    }
    macro_rules! float_ops {
        ($t:ty) => {
            impl FloatOps for $t {
                #[inline]
                fn exp(self) -> Self {
                    <$t>::exp(self)
                }
                #[inline]
                fn ln(self) -> Self {
                    <$t>::ln(self)
                }
                #[inline]
                fn sqrt(self) -> Self {
                    <$t>::sqrt(self)
                }
                #[inline]
                fn abs(self) -> Self {
                    <$t>::abs(self)
                }
                #[inline]
                fn tanh(self) -> Self {
                    <$t>::tanh(self)
                }
                #[inline]
                fn powf(self, e: Self) -> Self {
                    <$t>::powf(self, e)
                }
                #[inline]
                fn is_nan(self) -> bool {
                    <$t>::is_nan(self)
                }
                #[inline]
                fn from_f64c(v: f64) -> Self {
                    v as $t
                }
                #[inline]
                fn to_f64c(self) -> f64 {
                    self as f64
                }
                const NEG_INF: Self = <$t>::NEG_INFINITY;
                const INF: Self = <$t>::INFINITY;
            }
        };
    }
    float_ops!(f32);
    float_ops!(f64);
}

/// The default float dtype, as `DType` bits; f32 until [`set_default_dtype`] changes it.
static DEFAULT_DTYPE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Sets the dtype that floats get when nothing else says which, like
/// `torch.set_default_dtype`: Rust float literals in [`Tensor::tensor`](crate::Tensor::tensor),
/// `zeros`, `ones`, `full`, `rand`, `randn` (and so the layers' parameters), and the float
/// result of an integer tensor's division, `exp`, `sqrt` and the like. It is global to
/// the process, as in PyTorch. float32 is the default.
///
/// ```
/// use firelight::{DType, Tensor};
/// assert_eq!(Tensor::tensor([1.0, 2.0]).dtype(), DType::F32);
/// firelight::set_default_dtype(DType::F64);
/// assert_eq!(Tensor::tensor([1.0, 2.0]).dtype(), DType::F64);
/// assert_eq!(Tensor::zeros(&[2]).dtype(), DType::F64);
/// firelight::set_default_dtype(DType::F32);
/// ```
///
/// # Panics
/// For a dtype that is not a float, as PyTorch's "only floating-point types are supported
/// as the default type".
#[track_caller]
pub fn set_default_dtype(dtype: DType) {
    let bits = match dtype {
        DType::F32 => 0,
        DType::F64 => 1,
        other => panic!(
            "set_default_dtype: only floating-point types are supported as the default type, got {other}"
        ),
    };
    DEFAULT_DTYPE.store(bits, std::sync::atomic::Ordering::Relaxed);
}

/// The default float dtype (see [`set_default_dtype`]), like `torch.get_default_dtype()`.
///
/// ```
/// assert_eq!(firelight::get_default_dtype(), firelight::DType::F32);
/// ```
pub fn get_default_dtype() -> DType {
    match DEFAULT_DTYPE.load(std::sync::atomic::Ordering::Relaxed) {
        0 => DType::F32,
        _ => DType::F64,
    }
}
