//! A small, safe reader for Python pickles of numpy arrays.
//!
//! It understands the opcodes Python 2 and Python 3 (protocols 2 to 5) write for numpy
//! arrays and plain containers, and the numpy globals needed to rebuild arrays. Any other
//! global is refused by name before anything is done with it, so reading a pickle never runs
//! code. See `data/mnist/README.md` in the shared folder for the layout of the tutorial's
//! `mnist.pkl.gz`.
//!
//! Reading streams: large payloads go from the (gzip) decoder straight into their final
//! buffer, typed as their array's elements when the dtype is already known, and lengths from
//! the file are never trusted for allocation.
use std::io::{BufReader, Read};
use std::path::Path;

use crate::io::array::Array;
use crate::io::read::{open_gz, open_maybe_gz, stream_error};
use crate::Result;

mod convert;
mod numpy;
mod opcodes;
mod vm;

/// A value read from a pickle.
///
/// Python 2 `str` (what the tutorial's file holds) is read as [`PickleValue::Bytes`], as
/// Python 3 does with `encoding="bytes"`.
///
/// ```
/// use firelight::io::PickleValue;
/// let v = PickleValue::Tuple(vec![PickleValue::Int(1), PickleValue::None]);
/// assert_eq!(v.type_name(), "tuple");
/// assert_eq!(v.into_items().unwrap().len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum PickleValue {
    /// Python `None`.
    None,
    /// Python `bool`.
    Bool(bool),
    /// Python `int` that fits in 64 bits (larger ones are refused).
    Int(i64),
    /// Python `float`.
    Float(f64),
    /// Python 3 `str`.
    Str(String),
    /// Python 3 `bytes` or `bytearray`, or Python 2 `str`.
    Bytes(Vec<u8>),
    /// Python `tuple`.
    Tuple(Vec<PickleValue>),
    /// Python `list`.
    List(Vec<PickleValue>),
    /// Python `dict`, entries in the order the pickle wrote them.
    Dict(Vec<(PickleValue, PickleValue)>),
    /// A numpy array (little-endian, C order; dtypes f4, f8, i8, i4, u1, b1).
    Array(Array),
}

impl PickleValue {
    /// The Python-side name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            PickleValue::None => "None",
            PickleValue::Bool(_) => "bool",
            PickleValue::Int(_) => "int",
            PickleValue::Float(_) => "float",
            PickleValue::Str(_) => "str",
            PickleValue::Bytes(_) => "bytes",
            PickleValue::Tuple(_) => "tuple",
            PickleValue::List(_) => "list",
            PickleValue::Dict(_) => "dict",
            PickleValue::Array(_) => "numpy array",
        }
    }

    /// The items of a tuple or list.
    pub fn into_items(self) -> Option<Vec<PickleValue>> {
        match self {
            PickleValue::Tuple(v) | PickleValue::List(v) => Some(v),
            _ => None,
        }
    }

    /// The array, if this is one.
    ///
    /// ```
    /// use firelight::io::{Array, ArrayData, PickleValue};
    /// let a = Array { shape: vec![1], data: ArrayData::U8(vec![9]) };
    /// assert_eq!(PickleValue::Array(a.clone()).into_array(), Some(a));
    /// assert_eq!(PickleValue::None.into_array(), None);
    /// ```
    pub fn into_array(self) -> Option<Array> {
        match self {
            PickleValue::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// Reads a gzip-compressed pickle, such as the tutorial's `mnist.pkl.gz`.
///
/// The whole gzip stream is read, so a damaged file (bad CRC, cut short) is an error even
/// when the pickle inside ends early.
pub fn load_pickle_gz(path: impl AsRef<Path>) -> Result<PickleValue> {
    let path = path.as_ref();
    let mut decoder = open_gz(path)?;
    let value = parse_pickle(&mut decoder, path)?;
    finish_stream(&mut decoder, path)?;
    Ok(value)
}

/// Reads a pickle file, decompressing it first if it starts with the gzip magic bytes.
pub fn load_pickle(path: impl AsRef<Path>) -> Result<PickleValue> {
    let path = path.as_ref();
    let mut reader = open_maybe_gz(path)?;
    let value = parse_pickle(&mut reader, path)?;
    finish_stream(&mut reader, path)?;
    Ok(value)
}

/// Reads one pickle from `reader`, up to its STOP opcode. `path_for_errors` names the source
/// in error messages.
///
/// ```
/// use firelight::io::{parse_pickle, PickleValue};
/// // Python: pickle.dumps((1, b"ab", None), protocol=2)
/// let bytes = b"\x80\x02K\x01C\x02abN\x87q\x00.";
/// let v = parse_pickle(&bytes[..], "in-memory").unwrap();
/// assert_eq!(
///     v,
///     PickleValue::Tuple(vec![PickleValue::Int(1), PickleValue::Bytes(b"ab".to_vec()), PickleValue::None])
/// );
/// let e = parse_pickle(&b"\x80\x02cos\nsystem\n."[..], "evil.pkl").unwrap_err();
/// assert!(e.to_string().contains("os.system"));
/// ```
pub fn parse_pickle<R: Read>(reader: R, path_for_errors: impl AsRef<Path>) -> Result<PickleValue> {
    // Buffered for the many one-byte opcode reads; large reads pass through to the decoder.
    vm::run(
        BufReader::with_capacity(1 << 16, reader),
        path_for_errors.as_ref(),
    )
}

/// Reads what is left after STOP: nothing for a pickle file, the end of the stream for gzip,
/// where reaching the end checks the CRC.
fn finish_stream(r: &mut impl Read, path: &Path) -> Result<()> {
    std::io::copy(r, &mut std::io::sink())
        .map_err(|e| stream_error(path, "what follows the data", e))?;
    Ok(())
}
