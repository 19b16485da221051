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
//!
//! Reading is bounded whatever the bytes say: a value the pickle refers to many times
//! through its memo is held once and shared (as Python holds it), so a small file cannot
//! expand into a large tree, and every structure has a cap ([`MAX_VALUES`], [`MAX_MARKS`],
//! [`MAX_DEPTH`], [`MAX_OPCODES`], [`MAX_DATA_BYTES`], [`COPY_ALLOWANCE_BYTES`]) whose error
//! names it. Memory stays proportional to the data the file really holds.
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use crate::Result;
use crate::io::array::Array;
use crate::io::read::{open_gz, open_maybe_gz, stream_error};

mod convert;
mod numpy;
mod opcodes;
mod vm;

/// Most values one pickle may make: everything pushed on the stack or stored in the memo,
/// over all its lists, dicts and tuples together. The tutorial's file makes a few hundred.
pub const MAX_VALUES: usize = 1 << 22;

/// Most MARKs open at once. Each nesting level of a container being built holds one, and
/// nesting is capped at [`MAX_DEPTH`].
pub const MAX_MARKS: usize = 1 << 10;

/// Deepest nesting of tuples, lists and dicts accepted, so that recursion stays bounded.
pub const MAX_DEPTH: usize = 200;

/// Most opcodes one pickle may run, so that a stream of cheap opcodes (MARK, POP, PUT)
/// ends quickly; a pickle of [`MAX_VALUES`] values needs about three per value.
pub const MAX_OPCODES: u64 = 1 << 24;

/// Most bytes of strings and byte strings (array data included) one pickle may hold:
/// 4 GiB, against the tutorial's 0.22 GB.
pub const MAX_DATA_BYTES: u64 = 1 << 32;

/// What copies may add to the data read: the bytes the reader makes from data it already
/// holds (a string encoded to bytes, a second copy of a buffer two numpy arrays share) may
/// total the payload bytes read so far plus this many, so derived data never outgrows the
/// file's own.
pub const COPY_ALLOWANCE_BYTES: u64 = 1 << 20;

/// A value read from a pickle.
///
/// Python 2 `str` (what the tutorial's file holds) is read as [`PickleValue::Bytes`], as
/// Python 3 does with `encoding="bytes"`. Strings, containers and arrays sit behind `Arc`:
/// an object the pickle refers to several times is one shared value here, as in Python, and
/// clones are cheap.
///
/// ```
/// use firelight::io::PickleValue;
/// let v = PickleValue::Tuple(vec![PickleValue::Int(1), PickleValue::None].into());
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
    Str(Arc<str>),
    /// Python 3 `bytes` or `bytearray`, or Python 2 `str`.
    Bytes(Arc<Vec<u8>>),
    /// Python `tuple`.
    Tuple(Arc<Vec<PickleValue>>),
    /// Python `list`.
    List(Arc<Vec<PickleValue>>),
    /// Python `dict`, entries in the order the pickle wrote them.
    Dict(Arc<Vec<(PickleValue, PickleValue)>>),
    /// A numpy array (little-endian, C order; dtypes f4, f8, i8, i4, u1, b1).
    Array(Arc<Array>),
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

    /// The items of a tuple or list (moved out when this is their only holder; the items
    /// themselves are shared either way).
    pub fn into_items(self) -> Option<Vec<PickleValue>> {
        match self {
            PickleValue::Tuple(v) | PickleValue::List(v) => Some(Arc::unwrap_or_clone(v)),
            _ => None,
        }
    }

    /// The array, if this is one: moved out when this is its only holder, else copied.
    ///
    /// ```
    /// use firelight::io::{Array, ArrayData, PickleValue};
    /// let a = Array { shape: vec![1], data: ArrayData::U8(vec![9]) };
    /// assert_eq!(PickleValue::Array(a.clone().into()).into_array(), Some(a));
    /// assert_eq!(PickleValue::None.into_array(), None);
    /// ```
    pub fn into_array(self) -> Option<Array> {
        match self {
            PickleValue::Array(a) => Some(Arc::unwrap_or_clone(a)),
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
///     PickleValue::Tuple(
///         vec![PickleValue::Int(1), PickleValue::Bytes(b"ab".to_vec().into()), PickleValue::None].into()
///     )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::ArrayData;
    use PickleValue::*;

    fn parse(body: &[u8]) -> Result<PickleValue> {
        let mut bytes = b"\x80\x02".to_vec();
        bytes.extend(body);
        parse_pickle(&bytes[..], "test.pkl")
    }

    fn parse_err(body: &[u8]) -> String {
        parse(body).unwrap_err().to_string()
    }

    const DTYPE_F4: &[u8] = b"cnumpy\ndtype\nU\x02f4K\x00K\x01\x87R(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb";

    #[test]
    fn containers() {
        assert_eq!(
            parse(b"(K\x01K\x02l.").unwrap(),
            List(vec![Int(1), Int(2)].into())
        );
        let a = || Str("a".into());
        assert_eq!(
            parse(b"(X\x01\x00\x00\x00aK\x01d.").unwrap(),
            Dict(vec![(a(), Int(1))].into())
        );
        assert_eq!(
            parse(b"}X\x01\x00\x00\x00aK\x01s.").unwrap(),
            Dict(vec![(a(), Int(1))].into())
        );
        assert_eq!(
            parse(b"]K\x01aK\x02a.").unwrap(),
            List(vec![Int(1), Int(2)].into())
        );
        assert!(parse_err(b"(K\x01d.").contains("odd number"));
        assert!(parse_err(b"K\x01K\x02a.").contains("not a list"));
    }

    #[test]
    fn stack_and_memo_opcodes() {
        // DUP, POP, then MARK K2 POP_MARK leaves the first 1.
        assert_eq!(parse(b"K\x0120(K\x021.").unwrap(), Int(1));
        // Text PUT/GET, LONG_BINPUT/LONG_BINGET.
        assert_eq!(parse(b"K\x07p3\n0g3\n.").unwrap(), Int(7));
        assert_eq!(
            parse(b"K\x07r\x00\x00\x01\x000j\x00\x00\x01\x00.").unwrap(),
            Int(7)
        );
        // POP with nothing above the mark drops the mark, as CPython does.
        assert_eq!(parse(b"K\x09(0.").unwrap(), Int(9));
        assert!(parse_err(b"g12x\n.").contains("memo index '12x'"));
    }

    #[test]
    fn numbers_and_strings() {
        assert_eq!(parse(b"\x8a\x02\x00\xff.").unwrap(), Int(-256));
        assert_eq!(parse(b"\x8a\x00.").unwrap(), Int(0));
        assert_eq!(
            parse(b"\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80.").unwrap(),
            Int(i64::MIN)
        );
        assert!(parse_err(b"\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.").contains("64 bits"));
        assert_eq!(parse(b"M\xff\xff.").unwrap(), Int(65535));
        assert_eq!(
            parse(b"G\x3f\xf8\x00\x00\x00\x00\x00\x00.").unwrap(),
            Float(1.5)
        );
        assert_eq!(
            parse(b"\x8d\x03\x00\x00\x00\x00\x00\x00\x00abc.").unwrap(),
            Str("abc".into())
        );
        assert_eq!(
            parse(b"\x8e\x01\x00\x00\x00\x00\x00\x00\x00z.").unwrap(),
            Bytes(b"z".to_vec().into())
        );
        assert_eq!(
            parse(b"\x96\x01\x00\x00\x00\x00\x00\x00\x00z.").unwrap(),
            Bytes(b"z".to_vec().into())
        );
        assert_eq!(
            parse(b"B\x01\x00\x00\x00z.").unwrap(),
            Bytes(b"z".to_vec().into())
        );
        assert!(parse_err(b"\x8c\x01\xff.").contains("not valid UTF-8"));
        assert_eq!(
            parse(b"\x95\x02\x00\x00\x00\x00\x00\x00\x00N.").unwrap(),
            None
        );
    }

    #[test]
    fn numpy_objects_that_are_not_arrays_are_refused() {
        let mut dtype_alone = DTYPE_F4.to_vec();
        dtype_alone.push(b'.');
        assert!(parse_err(&dtype_alone).contains("dtype on its own"));
        let unfilled =
            b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R.";
        assert!(parse_err(unfilled).contains("never filled in by BUILD"));
        assert!(parse_err(b"cnumpy\nndarray\n)R.").contains("calling numpy.ndarray directly"));
        assert!(
            parse_err(b"c_codecs\nencode\nX\x01\x00\x00\x00aX\x04\x00\x00\x00utf8\x86R.")
                .contains("encoding 'utf8'")
        );
        assert!(parse_err(b"K\x01)R.").contains("REDUCE on a int"));
    }

    #[test]
    fn payload_read_as_floats_but_used_as_bytes_stays_bytes() {
        // MARK dtype False <64 KiB payload> BINPUT 0 POP_MARK BINGET 0: the payload is decoded
        // as f32 while streaming (a dtype and False are below it), then ends up on its own.
        let payload: Vec<u8> = (0..65536u32).map(|i| (i % 251) as u8).collect();
        let mut body = b"(".to_vec();
        body.extend(DTYPE_F4);
        body.extend(b"\x89T");
        body.extend((payload.len() as i32).to_le_bytes());
        body.extend(&payload);
        body.extend(b"q\x001h\x00.");
        assert_eq!(parse(&body).unwrap(), Bytes(payload.into()));
    }

    #[test]
    fn array_data_length_must_match_its_shape() {
        // _reconstruct(ndarray, (0,), b'b') BUILD (1, (3,), <f4, False, data).
        let array = |data: &[u8]| {
            let mut body =
                b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R(K\x01K\x03\x85"
                    .to_vec();
            body.extend(DTYPE_F4);
            body.extend([0x89, b'U', data.len() as u8]);
            body.extend(data);
            body.extend(b"tb.");
            parse(&body)
        };
        let e = array(b"\x00\x00\x80?\x00\x00\x00@")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("shape [3] and dtype <f4 needs 12 bytes of data, but has 8"),
            "{e}"
        );
        let a = array(b"\x00\x00\x80?\x00\x00\x00@\x00\x00@@")
            .unwrap()
            .into_array()
            .unwrap();
        assert_eq!(
            (a.shape, a.data),
            (vec![3], ArrayData::F32(vec![1.0, 2.0, 3.0]))
        );
    }
}
