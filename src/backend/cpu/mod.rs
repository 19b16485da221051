//! The CPU backend: one `Vec` per dtype, and generic kernels in the files beside this.
pub(crate) mod conv;
mod elementwise;
mod index;
mod loss;
mod matmul;
pub(crate) mod memory;
pub(crate) mod pool;
mod reduce;

use super::ops::{BinaryOp, ClassLoss, CmpOp, ReduceOp, UnaryOp};
use crate::DType;
use crate::dtype::Element;
use crate::layout::{Layout, walk};
use std::any::Any;
use std::borrow::Cow;

/// Host memory for one tensor storage.
#[derive(Clone, Debug)]
pub(crate) enum CpuStorage {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    Bool(Vec<bool>),
}

/// Runs `$body` with `$v` bound to the typed vector of every dtype, wrapping a returned
/// `Vec` back into the same variant.
macro_rules! map_same {
    ($s:expr, $v:ident => $body:expr) => {
        match $s {
            CpuStorage::F32($v) => CpuStorage::F32($body),
            CpuStorage::F64($v) => CpuStorage::F64($body),
            CpuStorage::I64($v) => CpuStorage::I64($body),
            CpuStorage::U8($v) => CpuStorage::U8($body),
            CpuStorage::Bool($v) => CpuStorage::Bool($body),
        }
    };
}

/// Like `map_same!` for two storages that must have the same dtype.
macro_rules! map_pair {
    ($a:expr, $b:expr, $x:ident, $y:ident => $body:expr) => {
        match ($a, $b) {
            (CpuStorage::F32($x), CpuStorage::F32($y)) => CpuStorage::F32($body),
            (CpuStorage::F64($x), CpuStorage::F64($y)) => CpuStorage::F64($body),
            (CpuStorage::I64($x), CpuStorage::I64($y)) => CpuStorage::I64($body),
            (CpuStorage::U8($x), CpuStorage::U8($y)) => CpuStorage::U8($body),
            (CpuStorage::Bool($x), CpuStorage::Bool($y)) => CpuStorage::Bool($body),
            (a, b) => panic!(
                "internal dtype mismatch: {:?} vs {:?}",
                a.dtype(),
                b.dtype()
            ),
        }
    };
}
pub(crate) use {map_pair, map_same};

impl CpuStorage {
    /// Wraps a typed vector.
    pub fn from_vec<T: Element>(v: Vec<T>) -> CpuStorage {
        let any: Box<dyn Any> = Box::new(v);
        let any = match any.downcast::<Vec<f32>>() {
            Ok(v) => return CpuStorage::F32(*v),
            Err(a) => a,
        };
        let any = match any.downcast::<Vec<f64>>() {
            Ok(v) => return CpuStorage::F64(*v),
            Err(a) => a,
        };
        let any = match any.downcast::<Vec<i64>>() {
            Ok(v) => return CpuStorage::I64(*v),
            Err(a) => a,
        };
        let any = match any.downcast::<Vec<u8>>() {
            Ok(v) => return CpuStorage::U8(*v),
            Err(a) => a,
        };
        match any.downcast::<Vec<bool>>() {
            Ok(v) => CpuStorage::Bool(*v),
            Err(_) => unreachable!("Element is implemented only for the five dtypes"),
        }
    }

    /// The typed vector, if `T` is this storage's element type.
    pub fn as_slice<T: Element>(&self) -> Option<&[T]> {
        let any: &dyn Any = match self {
            CpuStorage::F32(v) => v,
            CpuStorage::F64(v) => v,
            CpuStorage::I64(v) => v,
            CpuStorage::U8(v) => v,
            CpuStorage::Bool(v) => v,
        };
        any.downcast_ref::<Vec<T>>().map(|v| v.as_slice())
    }
}

/// The elements `l` selects, borrowed when they are already contiguous.
pub(crate) fn contiguous_slice<'a, T: Copy>(data: &'a [T], l: &Layout) -> Cow<'a, [T]> {
    match l.contiguous_range() {
        Some(r) => Cow::Borrowed(&data[r]),
        None => Cow::Owned(strided_to_vec(data, l)),
    }
}

/// Copies the elements `l` selects into a new row-major vector.
pub(crate) fn strided_to_vec<T: Copy>(data: &[T], l: &Layout) -> Vec<T> {
    if let Some(r) = l.contiguous_range() {
        return data[r].to_vec();
    }
    let mut out = Vec::with_capacity(l.numel());
    walk(&l.shape, [&l.strides], [l.offset], |[b], n, [s]| {
        if s == 1 {
            out.extend_from_slice(&data[b..b + n]);
        } else {
            out.extend((0..n).map(|k| data[b + k * s]));
        }
    });
    out
}

impl CpuStorage {
    pub fn dtype(&self) -> DType {
        match self {
            CpuStorage::F32(_) => DType::F32,
            CpuStorage::F64(_) => DType::F64,
            CpuStorage::I64(_) => DType::I64,
            CpuStorage::U8(_) => DType::U8,
            CpuStorage::Bool(_) => DType::Bool,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            CpuStorage::F32(v) => v.len(),
            CpuStorage::F64(v) => v.len(),
            CpuStorage::I64(v) => v.len(),
            CpuStorage::U8(v) => v.len(),
            CpuStorage::Bool(v) => v.len(),
        }
    }

    pub fn full(n: usize, value: f64, dtype: DType) -> CpuStorage {
        match dtype {
            DType::F32 => CpuStorage::F32(vec![value as f32; n]),
            DType::F64 => CpuStorage::F64(vec![value; n]),
            DType::I64 => CpuStorage::I64(vec![value as i64; n]),
            DType::U8 => CpuStorage::U8(vec![value as i64 as u8; n]),
            DType::Bool => CpuStorage::Bool(vec![value != 0.0; n]),
        }
    }

    /// `n` uniform `[0, 1)` values from the global generator: 24-bit f32 draws, cast for
    /// f64 (so a seed gives the same values in either dtype).
    pub fn rand(n: usize, dtype: DType) -> CpuStorage {
        let v: Vec<f32> =
            crate::tensor::random::with_global(|g| (0..n).map(|_| g.uniform_f32()).collect());
        match dtype {
            DType::F64 => CpuStorage::F64(v.into_iter().map(f64::from).collect()),
            _ => CpuStorage::F32(v),
        }
    }

    pub fn copy_strided(&self, l: &Layout) -> CpuStorage {
        map_same!(self, v => strided_to_vec(v, l))
    }

    pub fn to_dtype(&self, l: &Layout, dtype: DType) -> CpuStorage {
        fn cast<T: Element, U: Element>(v: &[T], l: &Layout, f: impl Fn(T) -> U) -> Vec<U> {
            contiguous_slice(v, l).iter().map(|&x| f(x)).collect()
        }
        macro_rules! to {
            ($v:expr) => {
                match dtype {
                    DType::F32 => CpuStorage::F32(cast($v, l, |x| f32::from_f64(x.to_f64()))),
                    DType::F64 => CpuStorage::F64(cast($v, l, |x| x.to_f64())),
                    DType::I64 => CpuStorage::I64(cast($v, l, |x| i64::from_f64(x.to_f64()))),
                    DType::U8 => CpuStorage::U8(cast($v, l, |x| u8::from_f64(x.to_f64()))),
                    DType::Bool => CpuStorage::Bool(cast($v, l, |x| x.to_f64() != 0.0)),
                }
            };
        }
        if self.dtype() == dtype {
            return self.copy_strided(l);
        }
        match self {
            // Exact paths for the common casts, so that large i64 values survive.
            CpuStorage::F32(v) if dtype == DType::F64 => CpuStorage::F64(cast(v, l, |x| x as f64)),
            CpuStorage::U8(v) if dtype == DType::F32 => CpuStorage::F32(cast(v, l, |x| x as f32)),
            CpuStorage::Bool(v) if dtype == DType::F32 => {
                CpuStorage::F32(cast(v, l, |x| x as u8 as f32))
            }
            CpuStorage::I64(v) if dtype == DType::F32 => CpuStorage::F32(cast(v, l, |x| x as f32)),
            CpuStorage::F32(v) => to!(v),
            CpuStorage::F64(v) => to!(v),
            CpuStorage::I64(v) => to!(v),
            CpuStorage::U8(v) => to!(v),
            CpuStorage::Bool(v) => to!(v),
        }
    }

    #[track_caller]
    pub fn class_loss(
        &self,
        l: &Layout,
        t: &CpuStorage,
        tl: &Layout,
        w: Option<(&CpuStorage, &Layout)>,
        spec: &ClassLoss,
    ) -> (CpuStorage, CpuStorage) {
        loss::class_loss(self, l, t, tl, w, spec)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn class_loss_backward(
        &self,
        l: &Layout,
        t: &CpuStorage,
        tl: &Layout,
        w: Option<(&CpuStorage, &Layout)>,
        g: &CpuStorage,
        gl: &Layout,
        spec: &ClassLoss,
    ) -> CpuStorage {
        loss::class_loss_backward(self, l, t, tl, w, g, gl, spec)
    }

    #[track_caller]
    pub fn unary(&self, l: &Layout, op: UnaryOp) -> CpuStorage {
        elementwise::unary(self, l, op)
    }

    #[track_caller]
    pub fn binary(&self, l: &Layout, rhs: &CpuStorage, rl: &Layout, op: BinaryOp) -> CpuStorage {
        elementwise::binary(self, l, rhs, rl, op)
    }

    #[track_caller]
    pub fn cmp(&self, l: &Layout, rhs: &CpuStorage, rl: &Layout, op: CmpOp) -> CpuStorage {
        elementwise::cmp(self, l, rhs, rl, op)
    }

    #[track_caller]
    pub fn where_cond(
        c: &CpuStorage,
        cl: &Layout,
        a: &CpuStorage,
        al: &Layout,
        b: &CpuStorage,
        bl: &Layout,
    ) -> CpuStorage {
        elementwise::where_cond(c, cl, a, al, b, bl)
    }

    #[track_caller]
    pub fn assign(&mut self, dl: &Layout, src: &CpuStorage, sl: &Layout) {
        elementwise::assign(self, dl, src, sl)
    }

    #[track_caller]
    pub fn binary_inplace(&mut self, dl: &Layout, rhs: &CpuStorage, rl: &Layout, op: BinaryOp) {
        elementwise::binary_inplace(self, dl, rhs, rl, op)
    }

    #[track_caller]
    pub fn reduce(&self, l: &Layout, dims: &[usize], op: ReduceOp) -> CpuStorage {
        reduce::reduce(self, l, dims, op)
    }

    #[track_caller]
    pub fn bmm(&self, l: &Layout, rhs: &CpuStorage, rl: &Layout) -> CpuStorage {
        matmul::bmm(self, l, rhs, rl)
    }

    #[track_caller]
    pub fn gather(&self, l: &Layout, dim: usize, index: &CpuStorage, il: &Layout) -> CpuStorage {
        index::gather(self, l, dim, index, il)
    }

    #[track_caller]
    pub fn scatter_add(
        shape: &[usize],
        dim: usize,
        index: &CpuStorage,
        il: &Layout,
        src: &CpuStorage,
        sl: &Layout,
    ) -> CpuStorage {
        index::scatter_add(shape, dim, index, il, src, sl)
    }

    #[track_caller]
    pub fn index_select(
        &self,
        l: &Layout,
        dim: usize,
        index: &CpuStorage,
        il: &Layout,
    ) -> CpuStorage {
        index::index_select(self, l, dim, index, il)
    }

    #[track_caller]
    pub fn index_add(
        shape: &[usize],
        dim: usize,
        index: &CpuStorage,
        il: &Layout,
        src: &CpuStorage,
        sl: &Layout,
    ) -> CpuStorage {
        index::index_add(shape, dim, index, il, src, sl)
    }
}
