//! A plain n-dimensional array as it comes out of a file, before it becomes a Tensor.
use std::fmt;

/// An n-dimensional array read from a file: a shape and its elements in C (row-major) order.
///
/// It is deliberately not a Tensor: loaders produce it without knowing about devices or
/// autograd, and the Tensor side turns it into storage.
///
/// ```
/// use firelight::io::{Array, ArrayData};
/// let a = Array { shape: vec![2, 3], data: ArrayData::F32(vec![0.0; 6]) };
/// assert_eq!(a.numel(), 6);
/// assert_eq!(a.data.dtype_name(), "float32");
/// ```
#[derive(Clone, PartialEq)]
pub struct Array {
    /// Size of each dimension, outermost first. An empty shape is a scalar (one element).
    pub shape: Vec<usize>,
    /// The elements, `numel()` of them, last dimension varying fastest.
    pub data: ArrayData,
}

/// The elements of an [`Array`], one variant per element type a loader can produce.
///
/// ```
/// use firelight::io::ArrayData;
/// let d = ArrayData::U8(vec![1, 2, 3]);
/// assert_eq!(d.len(), 3);
/// assert_eq!(d.as_u8(), Some(&[1u8, 2, 3][..]));
/// assert_eq!(d.as_f32(), None);
/// ```
#[derive(Clone, PartialEq)]
pub enum ArrayData {
    /// 32-bit floats (numpy `float32`, `<f4`).
    F32(Vec<f32>),
    /// 64-bit floats (numpy `float64`, `<f8`).
    F64(Vec<f64>),
    /// 64-bit signed integers (numpy `int64`, `<i8`).
    I64(Vec<i64>),
    /// 32-bit signed integers (numpy `int32`, `<i4`).
    I32(Vec<i32>),
    /// Bytes (numpy `uint8`, `|u1`).
    U8(Vec<u8>),
    /// Booleans (numpy `bool`, `|b1`).
    Bool(Vec<bool>),
}

impl Array {
    /// The number of elements the shape describes: the product of its sizes (1 for a scalar).
    ///
    /// ```
    /// use firelight::io::{Array, ArrayData};
    /// let scalar = Array { shape: vec![], data: ArrayData::I64(vec![7]) };
    /// assert_eq!(scalar.numel(), 1);
    /// ```
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

impl ArrayData {
    /// The number of elements held.
    pub fn len(&self) -> usize {
        match self {
            ArrayData::F32(v) => v.len(),
            ArrayData::F64(v) => v.len(),
            ArrayData::I64(v) => v.len(),
            ArrayData::I32(v) => v.len(),
            ArrayData::U8(v) => v.len(),
            ArrayData::Bool(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type's numpy name: `float32`, `float64`, `int64`, `int32`, `uint8` or `bool`.
    pub fn dtype_name(&self) -> &'static str {
        self.kind().name()
    }

    /// The elements if they are `f32`.
    pub fn as_f32(&self) -> Option<&[f32]> {
        match self {
            ArrayData::F32(v) => Some(v),
            _ => None,
        }
    }

    /// The elements if they are `f64`.
    pub fn as_f64(&self) -> Option<&[f64]> {
        match self {
            ArrayData::F64(v) => Some(v),
            _ => None,
        }
    }

    /// The elements if they are `i64`.
    pub fn as_i64(&self) -> Option<&[i64]> {
        match self {
            ArrayData::I64(v) => Some(v),
            _ => None,
        }
    }

    /// The elements if they are `i32`.
    pub fn as_i32(&self) -> Option<&[i32]> {
        match self {
            ArrayData::I32(v) => Some(v),
            _ => None,
        }
    }

    /// The elements if they are `u8`.
    pub fn as_u8(&self) -> Option<&[u8]> {
        match self {
            ArrayData::U8(v) => Some(v),
            _ => None,
        }
    }

    /// The elements if they are `bool`.
    pub fn as_bool(&self) -> Option<&[bool]> {
        match self {
            ArrayData::Bool(v) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn kind(&self) -> ElemKind {
        match self {
            ArrayData::F32(_) => ElemKind::F32,
            ArrayData::F64(_) => ElemKind::F64,
            ArrayData::I64(_) => ElemKind::I64,
            ArrayData::I32(_) => ElemKind::I32,
            ArrayData::U8(_) => ElemKind::U8,
            ArrayData::Bool(_) => ElemKind::Bool,
        }
    }

    /// Decodes little-endian bytes whose length is a whole number of elements.
    pub(crate) fn from_le_bytes(kind: ElemKind, bytes: &[u8]) -> ArrayData {
        debug_assert_eq!(bytes.len() % kind.size(), 0);
        match kind {
            ElemKind::F32 => ArrayData::F32(decode(bytes, f32::from_le_bytes)),
            ElemKind::F64 => ArrayData::F64(decode(bytes, f64::from_le_bytes)),
            ElemKind::I64 => ArrayData::I64(decode(bytes, i64::from_le_bytes)),
            ElemKind::I32 => ArrayData::I32(decode(bytes, i32::from_le_bytes)),
            ElemKind::U8 => ArrayData::U8(bytes.to_vec()),
            ElemKind::Bool => ArrayData::Bool(bytes.iter().map(|&b| b != 0).collect()),
        }
    }

    /// The elements as little-endian bytes, the inverse of `from_le_bytes`.
    pub(crate) fn to_le_bytes(&self) -> Vec<u8> {
        match self {
            ArrayData::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ArrayData::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ArrayData::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ArrayData::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ArrayData::U8(v) => v.clone(),
            ArrayData::Bool(v) => v.iter().map(|&b| b as u8).collect(),
        }
    }
}

fn decode<T, const N: usize>(bytes: &[u8], f: fn([u8; N]) -> T) -> Vec<T> {
    bytes
        .chunks_exact(N)
        .map(|c| f(c.try_into().expect("chunks_exact gives N bytes")))
        .collect()
}

/// The element types an [`ArrayData`] can hold, for code that must pick one before the
/// elements exist (a file header, a numpy dtype).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ElemKind {
    F32,
    F64,
    I64,
    I32,
    U8,
    Bool,
}

impl ElemKind {
    /// Bytes per element in a file.
    pub(crate) fn size(self) -> usize {
        match self {
            ElemKind::F32 | ElemKind::I32 => 4,
            ElemKind::F64 | ElemKind::I64 => 8,
            ElemKind::U8 | ElemKind::Bool => 1,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            ElemKind::F32 => "float32",
            ElemKind::F64 => "float64",
            ElemKind::I64 => "int64",
            ElemKind::I32 => "int32",
            ElemKind::U8 => "uint8",
            ElemKind::Bool => "bool",
        }
    }
}

/// Shows shape, dtype and a few leading elements: a derived Debug would print millions of
/// numbers when an assertion on a dataset fails.
impl fmt::Debug for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Array {{ shape: {:?}, data: {:?} }}",
            self.shape, self.data
        )
    }
}

impl fmt::Debug for ArrayData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        fn head<T: fmt::Debug>(f: &mut fmt::Formatter<'_>, name: &str, v: &[T]) -> fmt::Result {
            write!(f, "{name}({:?}", &v[..v.len().min(SHOWN)])?;
            if v.len() > SHOWN {
                write!(f, " ... {} elements", v.len())?;
            }
            f.write_str(")")
        }
        match self {
            ArrayData::F32(v) => head(f, "F32", v),
            ArrayData::F64(v) => head(f, "F64", v),
            ArrayData::I64(v) => head(f, "I64", v),
            ArrayData::I32(v) => head(f, "I32", v),
            ArrayData::U8(v) => head(f, "U8", v),
            ArrayData::Bool(v) => head(f, "Bool", v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_bytes_round_trip() {
        let all = [
            ArrayData::F32(vec![1.5, -0.0, f32::MAX]),
            ArrayData::F64(vec![1e300, -2.5]),
            ArrayData::I64(vec![i64::MIN, 5]),
            ArrayData::I32(vec![-7, i32::MAX]),
            ArrayData::U8(vec![0, 255]),
            ArrayData::Bool(vec![true, false]),
        ];
        for d in all {
            assert_eq!(ArrayData::from_le_bytes(d.kind(), &d.to_le_bytes()), d);
        }
    }

    #[test]
    fn debug_is_short() {
        let a = Array {
            shape: vec![1000],
            data: ArrayData::U8(vec![3; 1000]),
        };
        let s = format!("{a:?}");
        assert!(s.len() < 100, "{s}");
        assert!(s.contains("1000 elements"), "{s}");
    }
}
