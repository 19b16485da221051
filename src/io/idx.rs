//! IDX files, the format of the original MNIST distribution, raw or gzipped.
//!
//! Layout, all integers big-endian: magic `00 00 <type> <ndim>`, then `ndim` u32 sizes, then
//! the elements in C order. The data must be exactly as long as the sizes say.
use std::io::Read;
use std::path::Path;

use crate::io::array::{Array, ArrayData};
use crate::io::read::{Endian, at_end, open_maybe_gz, read_bytes, read_elems, stream_error};
use crate::layout::checked_numel;
use crate::{Error, Result};

/// Reads an IDX file such as `train-images-idx3-ubyte`, raw or gzip-compressed (detected by
/// its first bytes, not its name).
///
/// Element types: `0x08` u8 gives [`ArrayData::U8`]; `0x0C` i32, `0x0D` f32 and `0x0E` f64
/// give their own types; `0x09` i8 and `0x0B` i16 are widened to [`ArrayData::I32`].
pub fn load_idx(path: impl AsRef<Path>) -> Result<Array> {
    let path = path.as_ref();
    parse_idx(open_maybe_gz(path)?, path)
}

/// Reads an IDX stream (already decompressed) from `reader`; `path_for_errors` names it in
/// error messages.
///
/// ```
/// // Two labels, 3 and 7: magic 0x00000801, one dimension of size 2, then the bytes.
/// let bytes = [0, 0, 8, 1, 0, 0, 0, 2, 3, 7];
/// let a = firelight::io::idx::parse_idx(&bytes[..], "labels").unwrap();
/// assert_eq!(a.shape, vec![2]);
/// assert_eq!(a.data.as_u8(), Some(&[3u8, 7][..]));
/// ```
pub fn parse_idx<R: Read>(mut reader: R, path_for_errors: impl AsRef<Path>) -> Result<Array> {
    let path = path_for_errors.as_ref();
    let mut magic = [0u8; 4];
    reader
        .read_exact(&mut magic)
        .map_err(|e| stream_error(path, "the IDX magic number", e))?;
    let magic_num = u32::from_be_bytes(magic);
    if magic[0] != 0 || magic[1] != 0 {
        return Err(Error::format(
            path,
            format!(
                "not an IDX file: magic number 0x{magic_num:08x} does not start with two zero bytes"
            ),
        ));
    }
    let (elem_size, kind_name) = match magic[2] {
        0x08 => (1, "u8"),
        0x09 => (1, "i8"),
        0x0B => (2, "i16"),
        0x0C => (4, "i32"),
        0x0D => (4, "f32"),
        0x0E => (8, "f64"),
        t => {
            return Err(Error::format(
                path,
                format!("unknown IDX element type 0x{t:02x} in magic number 0x{magic_num:08x}"),
            ));
        }
    };
    let ndim = usize::from(magic[3]);
    if ndim == 0 {
        return Err(Error::format(
            path,
            format!("IDX magic number 0x{magic_num:08x} gives 0 dimensions"),
        ));
    }

    let mut shape = Vec::with_capacity(ndim);
    for _ in 0..ndim {
        let mut d = [0u8; 4];
        reader
            .read_exact(&mut d)
            .map_err(|e| stream_error(path, "the IDX dimension sizes", e))?;
        shape.push(u32::from_be_bytes(d) as usize);
    }
    let too_big = || {
        Error::format(
            path,
            format!(
                "IDX dimensions {shape:?} of {kind_name} describe more data than fits in memory"
            ),
        )
    };
    let numel = checked_numel(&shape).ok_or_else(too_big)?;
    numel.checked_mul(elem_size).ok_or_else(too_big)?;

    let what = format!("the data of an IDX file with dimensions {shape:?} of {kind_name}");
    let n = numel as u64;
    let data = match magic[2] {
        0x08 => read_bytes(&mut reader, n).map(ArrayData::U8),
        0x09 => read_elems::<i8>(&mut reader, n, Endian::Big).map(|v| ArrayData::I32(widen(v))),
        0x0B => read_elems::<i16>(&mut reader, n, Endian::Big).map(|v| ArrayData::I32(widen(v))),
        0x0C => read_elems(&mut reader, n, Endian::Big).map(ArrayData::I32),
        0x0D => read_elems(&mut reader, n, Endian::Big).map(ArrayData::F32),
        _ => read_elems(&mut reader, n, Endian::Big).map(ArrayData::F64),
    }
    .map_err(|e| stream_error(path, &what, e))?;

    if !at_end(&mut reader).map_err(|e| stream_error(path, "what follows the data", e))? {
        return Err(Error::format(
            path,
            format!(
                "IDX file is longer than its header says: dimensions {shape:?} of {kind_name} \
                 need {} bytes of data, but more follow",
                numel * elem_size
            ),
        ));
    }
    Ok(Array { shape, data })
}

fn widen<T: Into<i32>>(v: Vec<T>) -> Vec<i32> {
    v.into_iter().map(Into::into).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(kind: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, kind, dims.len() as u8];
        for d in dims {
            v.extend(d.to_be_bytes());
        }
        v.extend(data);
        v
    }

    #[test]
    fn reads_every_element_type() {
        let a = parse_idx(&idx(0x08, &[2, 2], &[1, 2, 3, 255])[..], "t").unwrap();
        assert_eq!(
            (a.shape, a.data),
            (vec![2, 2], ArrayData::U8(vec![1, 2, 3, 255]))
        );
        let a = parse_idx(&idx(0x09, &[2], &[0xff, 5])[..], "t").unwrap();
        assert_eq!(a.data, ArrayData::I32(vec![-1, 5]));
        let a = parse_idx(&idx(0x0B, &[1], &[0xff, 0xfe])[..], "t").unwrap();
        assert_eq!(a.data, ArrayData::I32(vec![-2]));
        let a = parse_idx(&idx(0x0C, &[1], &(-3i32).to_be_bytes())[..], "t").unwrap();
        assert_eq!(a.data, ArrayData::I32(vec![-3]));
        let a = parse_idx(&idx(0x0D, &[1], &1.5f32.to_be_bytes())[..], "t").unwrap();
        assert_eq!(a.data, ArrayData::F32(vec![1.5]));
        let a = parse_idx(&idx(0x0E, &[1], &(-0.25f64).to_be_bytes())[..], "t").unwrap();
        assert_eq!(a.data, ArrayData::F64(vec![-0.25]));
    }

    #[test]
    fn rejects_bad_headers_and_lengths() {
        let msg = |bytes: Vec<u8>| parse_idx(&bytes[..], "f.idx").unwrap_err().to_string();
        assert!(msg(idx(0x07, &[1], &[0])).contains("unknown IDX element type 0x07"));
        assert!(msg(idx(0x08, &[], &[])).contains("0 dimensions"));
        assert!(msg(idx(0x08, &[3], &[1, 2])).contains("truncated"));
        assert!(msg(idx(0x08, &[1], &[1, 2])).contains("longer than its header says"));
        assert!(
            msg(idx(0x0E, &[u32::MAX, u32::MAX, u32::MAX], &[])).contains("more data than fits")
        );
        assert!(msg(vec![0, 0]).contains("truncated"));
    }
}
