//! The allow-list of Python callables a numpy pickle names, and what calling them means here.
//!
//! A pickle can name any importable callable, which is how unpickling runs code. This reader
//! understands exactly the handful numpy uses to rebuild arrays and refuses every other name
//! before anything is done with it; the ones it knows are interpreted here, never called.
use std::sync::Arc;

use super::vm::{Budget, Heap, NdArray, Obj, Value};
use crate::io::array::{ArrayData, ElemKind};
use crate::layout::checked_numel;

/// A global the reader understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Global {
    /// `numpy.core.multiarray._reconstruct` (numpy 1) or `numpy._core.multiarray._reconstruct`
    /// (numpy 2): makes an empty array that a BUILD then fills.
    Reconstruct,
    /// `numpy.ndarray`, passed to `_reconstruct` as the class to make.
    NdArray,
    /// `numpy.dtype`.
    Dtype,
    /// `_codecs.encode`: Python 3 writes bytes as `encode(str, 'latin1')` at protocol 2.
    CodecsEncode,
    /// `numpy.core.numeric._frombuffer` / `numpy._core.numeric._frombuffer`: numpy's
    /// protocol-5 form, `_frombuffer(bytearray, dtype, shape, order)`.
    FromBuffer,
    /// `bytes` or `bytearray` (module `builtins`, or `__builtin__` as Python 3 names it at
    /// protocol 2): Python 3 writes empty bytes, such as an empty array's data, as `bytes()`.
    Bytes,
}

impl Global {
    /// The Python name, for error messages.
    pub(super) fn name(self) -> &'static str {
        match self {
            Global::Reconstruct => "numpy._reconstruct",
            Global::NdArray => "numpy.ndarray",
            Global::Dtype => "numpy.dtype",
            Global::CodecsEncode => "_codecs.encode",
            Global::FromBuffer => "numpy._frombuffer",
            Global::Bytes => "bytes",
        }
    }
}

/// The allowed globals, for error messages.
pub(super) const ALLOWED: &str = "numpy.core.multiarray._reconstruct, \
    numpy._core.multiarray._reconstruct, numpy.ndarray, numpy.dtype, _codecs.encode, \
    numpy.core.numeric._frombuffer, numpy._core.numeric._frombuffer, builtins.bytes, \
    builtins.bytearray";

/// Finds `module.name` in the allow-list.
pub(super) fn lookup(module: &str, name: &str) -> Option<Global> {
    match (module, name) {
        ("numpy.core.multiarray" | "numpy._core.multiarray", "_reconstruct") => {
            Some(Global::Reconstruct)
        }
        ("numpy", "ndarray") => Some(Global::NdArray),
        ("numpy", "dtype") => Some(Global::Dtype),
        ("_codecs", "encode") => Some(Global::CodecsEncode),
        ("numpy.core.numeric" | "numpy._core.numeric", "_frombuffer") => Some(Global::FromBuffer),
        ("builtins" | "__builtin__", "bytes" | "bytearray") => Some(Global::Bytes),
        _ => None,
    }
}

/// A numpy dtype, as far as this reader follows one: element type and byte order.
#[derive(Clone, Copy, Debug)]
pub(super) struct Dtype {
    pub(super) kind: ElemKind,
    /// numpy's byte-order character: `<` little, `>` big, `|` not applicable, `=` native.
    pub(super) order: u8,
}

impl Dtype {
    /// Whether elements can be read as little-endian, which is all this reader does.
    pub(super) fn is_little_endian(&self) -> bool {
        self.kind.size() == 1 || self.order == b'<'
    }

    fn describe(&self) -> String {
        format!("{}{}", self.order as char, numpy_code(self.kind))
    }
}

fn numpy_code(kind: ElemKind) -> &'static str {
    match kind {
        ElemKind::F32 => "f4",
        ElemKind::F64 => "f8",
        ElemKind::I64 => "i8",
        ElemKind::I32 => "i4",
        ElemKind::U8 => "u1",
        ElemKind::Bool => "b1",
    }
}

/// Parses the name numpy passes to `dtype(...)`, such as `f4`, with an optional byte-order
/// prefix.
fn dtype_from_name(name: &str) -> Result<Dtype, String> {
    let (order, code) = match name.as_bytes().first() {
        Some(&c @ (b'<' | b'>' | b'|' | b'=')) => (Some(c), &name[1..]),
        _ => (None, name),
    };
    let kind = match code {
        "f4" => ElemKind::F32,
        "f8" => ElemKind::F64,
        "i8" => ElemKind::I64,
        "i4" => ElemKind::I32,
        "u1" => ElemKind::U8,
        "b1" => ElemKind::Bool,
        _ => {
            return Err(format!(
                "numpy dtype '{name}' is not supported (supported: f4, f8, i8, i4, u1, b1)"
            ));
        }
    };
    // Without a prefix numpy means native order; a BUILD that follows sets the real one.
    let default = if kind.size() == 1 { b'|' } else { b'<' };
    Ok(Dtype {
        kind,
        order: order.unwrap_or(default),
    })
}

/// Applies an allowed global to its arguments (the REDUCE opcode).
pub(super) fn call(m: &mut Heap, global: Global, args: &[Value]) -> Result<Value, String> {
    match global {
        Global::Reconstruct => {
            match args.first() {
                Some(Value::Global(Global::NdArray)) => {}
                _ => return Err("_reconstruct is only supported for numpy.ndarray".into()),
            }
            Ok(m.add(Obj::NdArray(None)))
        }
        Global::Dtype => {
            let name = args
                .first()
                .and_then(Value::text)
                .ok_or("numpy.dtype needs a name")?;
            let dtype = dtype_from_name(name)?;
            Ok(m.add(Obj::Dtype(dtype)))
        }
        Global::CodecsEncode => {
            let (Some(text), Some(encoding)) = (
                args.first().and_then(Value::text),
                args.get(1).and_then(Value::text),
            ) else {
                return Err("_codecs.encode needs a string and an encoding".into());
            };
            if !matches!(encoding, "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1") {
                return Err(format!(
                    "_codecs.encode with encoding '{encoding}' is not supported"
                ));
            }
            m.budget
                .copy(text.chars().count(), "_codecs.encode of a string")?;
            Ok(Value::Bytes(Arc::new(latin1(text)?)))
        }
        Global::FromBuffer => {
            let [data, dtype, shape, order] = args else {
                return Err(format!("_frombuffer needs 4 arguments, got {}", args.len()));
            };
            let fortran = match order.text() {
                Some("C") => false,
                Some("F") => true,
                _ => return Err("_frombuffer order must be 'C' or 'F'".into()),
            };
            let array = make_array(m, shape, dtype, fortran, data.clone())?;
            Ok(m.add(Obj::NdArray(Some(array))))
        }
        Global::Bytes => match args {
            [] => Ok(Value::Bytes(Arc::new(Vec::new()))),
            // Only a copy of existing bytes: `bytes(n)` would allocate what the file says.
            [Value::Bytes(b)] => Ok(Value::Bytes(b.clone())),
            _ => Err(
                "bytes() or bytearray() is only supported with no argument or a bytes argument"
                    .into(),
            ),
        },
        Global::NdArray => Err("calling numpy.ndarray directly is not supported".into()),
    }
}

/// Sets an object's state (the BUILD opcode): fills an array made by `_reconstruct`, or sets
/// a dtype's byte order.
pub(super) fn build(m: &mut Heap, target: usize, state: &Value) -> Result<(), String> {
    let Value::Tuple(state) = state else {
        return Err("BUILD state for a numpy object must be a tuple".into());
    };
    let items = &state.items[..];
    match m.get(target) {
        Obj::NdArray(None) => {
            // numpy writes (version, shape, dtype, is_fortran, data); old numpy left out version.
            let rest = if items.len() == 5 { &items[1..] } else { items };
            let [shape, dtype, fortran, data] = rest else {
                return Err(format!(
                    "numpy array state has {} items, not 5",
                    items.len()
                ));
            };
            let Value::Bool(fortran) = *fortran else {
                return Err("numpy array state: the Fortran-order flag is not a bool".into());
            };
            let array = make_array(m, shape, dtype, fortran, data.clone())?;
            *m.get_mut(target) = Obj::NdArray(Some(array));
            Ok(())
        }
        Obj::NdArray(Some(_)) => Err("BUILD on a numpy array that is already filled".into()),
        Obj::Dtype(d) => {
            // (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
            let mut d = *d;
            let order = items
                .get(1)
                .and_then(Value::text)
                .ok_or("numpy dtype state has no byte order")?;
            d.order = match order.as_bytes() {
                [c @ (b'<' | b'>' | b'|' | b'=')] => *c,
                _ => {
                    return Err(format!(
                        "numpy dtype byte order '{order}' is not understood"
                    ));
                }
            };
            if items.len() > 4 && items[2..5].iter().any(|v| !matches!(v, Value::None)) {
                return Err("structured or sub-array numpy dtypes are not supported".into());
            }
            *m.get_mut(target) = Obj::Dtype(d);
            Ok(())
        }
        Obj::List(_) | Obj::Dict(_) => Err("BUILD on a list or dict is not supported".into()),
    }
}

/// Checks everything an array's parts must agree on before they are kept.
fn make_array(
    m: &mut Heap,
    shape: &Value,
    dtype: &Value,
    fortran: bool,
    data: Value,
) -> Result<NdArray, String> {
    let dtype = match dtype {
        Value::Obj(i) => match m.get(*i) {
            Obj::Dtype(d) => *d,
            _ => return Err("numpy array: the dtype is not a numpy.dtype".into()),
        },
        _ => return Err("numpy array: the dtype is not a numpy.dtype".into()),
    };
    let shape = to_shape(shape)?;
    if !dtype.is_little_endian() {
        return Err(format!(
            "numpy array of shape {shape:?} has byte order '{}' ({}); only little-endian \
             arrays are supported (save it with a.astype('<{}') instead)",
            dtype.order as char,
            dtype.describe(),
            numpy_code(dtype.kind)
        ));
    }
    if fortran && shape.len() >= 2 {
        return Err(format!(
            "numpy array of shape {shape:?} is in Fortran (column-major) order; only C order \
             is supported (save np.ascontiguousarray(a) instead)"
        ));
    }
    let want = checked_numel(&shape)
        .and_then(|n| n.checked_mul(dtype.kind.size()))
        .ok_or_else(|| format!("numpy array shape {shape:?} overflows"))?;
    let have = match &data {
        Value::Bytes(b) => b.len(),
        Value::Typed(t) if t.kind() == dtype.kind => t.len() * dtype.kind.size(),
        Value::Typed(t) => t.len() * t.kind().size(),
        _ => return Err("numpy array data is not a byte string".into()),
    };
    if have != want {
        return Err(format!(
            "numpy array of shape {shape:?} and dtype {} needs {want} bytes of data, but has {have}",
            dtype.describe()
        ));
    }
    let data = match data {
        Value::Typed(t) if t.kind() != dtype.kind => {
            m.budget.copy(have, "reading array data as another dtype")?;
            Value::Bytes(Arc::new(t.to_le_bytes()))
        }
        other => other,
    };
    Ok(NdArray {
        shape,
        kind: dtype.kind,
        data,
    })
}

fn to_shape(v: &Value) -> Result<Vec<usize>, String> {
    let Value::Tuple(t) = v else {
        return Err("numpy array shape is not a tuple".into());
    };
    t.items
        .iter()
        .map(|d| match d {
            Value::Int(n) => {
                usize::try_from(*n).map_err(|_| format!("numpy array dimension {n} is negative"))
            }
            _ => Err("numpy array shape holds something other than integers".into()),
        })
        .collect()
}

/// Python's `str.encode('latin1')`: each character becomes the byte of the same value.
fn latin1(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let b = u8::try_from(u32::from(c)).map_err(|_| {
            format!(
                "character U+{:04X} cannot be encoded as latin1",
                u32::from(c)
            )
        })?;
        out.push(b);
    }
    Ok(out)
}

/// Turns a filled array's data into its element type, moving the buffer when nothing else
/// holds it; a buffer that another array or value shares is copied, charged to `budget`.
pub(super) fn into_array_data(
    array: NdArray,
    budget: &mut Budget,
) -> Result<(Vec<usize>, ArrayData), String> {
    let shared = "numpy arrays sharing one data buffer";
    let data = match array.data {
        Value::Typed(t) => Arc::try_unwrap(t).or_else(|t| {
            budget.copy(t.len() * t.kind().size(), shared)?;
            Ok::<_, String>((*t).clone())
        })?,
        Value::Bytes(b) => match (array.kind, Arc::try_unwrap(b)) {
            (ElemKind::U8, Ok(bytes)) => ArrayData::U8(bytes),
            (kind, Ok(bytes)) => ArrayData::from_le_bytes(kind, &bytes),
            (kind, Err(b)) => {
                budget.copy(b.len(), shared)?;
                ArrayData::from_le_bytes(kind, &b)
            }
        },
        _ => unreachable!("make_array keeps only bytes or typed data"),
    };
    Ok((array.shape, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtype_names() {
        assert_eq!(dtype_from_name("f4").unwrap().kind, ElemKind::F32);
        assert_eq!(dtype_from_name(">i8").unwrap().order, b'>');
        assert_eq!(dtype_from_name("u1").unwrap().order, b'|');
        let e = dtype_from_name("U5").unwrap_err();
        assert!(e.contains("'U5'"), "{e}");
    }

    #[test]
    fn latin1_round_trips_bytes() {
        let bytes: Vec<u8> = (0..=255).collect();
        let text: String = bytes.iter().map(|&b| b as char).collect();
        assert_eq!(latin1(&text).unwrap(), bytes);
        assert!(latin1("€").is_err());
    }

    #[test]
    fn allow_list() {
        assert_eq!(lookup("numpy", "dtype"), Some(Global::Dtype));
        assert_eq!(lookup("os", "system"), None);
        assert_eq!(lookup("numpy", "load"), None);
    }
}
