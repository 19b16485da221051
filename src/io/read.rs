//! Reading from files whose headers cannot be trusted: gzip detection, and reads of a
//! claimed length that allocate only as fast as the bytes really arrive.
use std::fs::File;
use std::io::{self, BufRead, BufReader, ErrorKind, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::{Error, Result};

/// Size of the first allocation for a claimed length; later ones at most double what
/// has arrived, so a header that claims terabytes costs at most twice what the file holds.
const FIRST_STEP: usize = 1 << 20;

/// Opens `path` and, if it starts with the gzip magic 1f 8b, decompresses it on the fly.
///
/// The name is not consulted: `.gz` files get renamed, and raw files get a `.gz` by mistake.
pub(crate) fn open_maybe_gz(path: &Path) -> Result<Box<dyn Read>> {
    let (file, gz) = open_buffered(path)?;
    Ok(if gz {
        Box::new(MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    })
}

/// Opens `path` as a gzip stream, refusing a file that does not start with the gzip magic
/// (the decoder itself would call a short one truncated, which misleads).
pub(crate) fn open_gz(path: &Path) -> Result<MultiGzDecoder<BufReader<File>>> {
    let (file, gz) = open_buffered(path)?;
    if !gz {
        let head: Vec<String> = file
            .buffer()
            .iter()
            .take(2)
            .map(|b| format!("{b:02x}"))
            .collect();
        let head = head.join(" ");
        return Err(Error::format(
            path,
            format!("not a gzip file: it starts with [{head}], not 1f 8b"),
        ));
    }
    Ok(MultiGzDecoder::new(file))
}

/// Opens `path` buffered and says whether it starts with the gzip magic.
fn open_buffered(path: &Path) -> Result<(BufReader<File>, bool)> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut buf = BufReader::with_capacity(1 << 16, file);
    let gz = buf
        .fill_buf()
        .map_err(|e| Error::io(path, e))?
        .starts_with(&[0x1f, 0x8b]);
    Ok((buf, gz))
}

/// Turns a failed read into an error naming the file and what was being read.
///
/// A short read and a corrupt compressed stream are problems with the file's content, so they
/// become format errors; anything else (permissions, a failing disk) stays an I/O error.
pub(crate) fn stream_error(path: &Path, what: &str, e: io::Error) -> Error {
    match e.kind() {
        ErrorKind::UnexpectedEof => Error::format(
            path,
            format!("file is truncated: it ends while reading {what} ({e})"),
        ),
        ErrorKind::InvalidData | ErrorKind::InvalidInput => Error::format(
            path,
            format!("corrupt data while reading {what}: {e} (a damaged or truncated gzip file?)"),
        ),
        ErrorKind::OutOfMemory => Error::format(path, format!("while reading {what}: {e}")),
        _ => Error::io(path, e),
    }
}

/// Reads exactly `len` bytes, growing the buffer only as data arrives.
pub(crate) fn read_bytes(r: &mut impl Read, len: u64) -> io::Result<Vec<u8>> {
    let buf = read_up_to(r, len)?;
    if (buf.len() as u64) < len {
        return Err(short(buf.len() as u64, len));
    }
    Ok(buf)
}

/// Reads `len` bytes like [`read_bytes`] when `len <= limit`. A longer claim is read only
/// up to `limit + 1` bytes: `Ok(None)` when the data really goes past `limit`, the usual
/// truncation error (naming the claimed length) when it ends sooner, so a lying length
/// still reads as one and a true one costs at most `limit + 1` bytes.
pub(crate) fn read_bytes_limited(
    r: &mut impl Read,
    len: u64,
    limit: u64,
) -> io::Result<Option<Vec<u8>>> {
    if len <= limit {
        return read_bytes(r, len).map(Some);
    }
    let buf = read_up_to(r, limit + 1)?;
    if buf.len() as u64 <= limit {
        return Err(short(buf.len() as u64, len));
    }
    Ok(None)
}

/// Reads until `len` bytes have arrived or the stream ends, growing the buffer only as data
/// arrives.
fn read_up_to(r: &mut impl Read, len: u64) -> io::Result<Vec<u8>> {
    let len = to_usize(len)?;
    let mut buf = Vec::new();
    while buf.len() < len {
        let step = (len - buf.len()).min(buf.len().max(FIRST_STEP));
        reserve(&mut buf, step, len)?;
        // With exactly `step` spare, `take` + `read_to_end` fills the reserved space and
        // stops there, without growing the buffer past it.
        let got = r.by_ref().take(step as u64).read_to_end(&mut buf)?;
        if got < step {
            break;
        }
    }
    Ok(buf)
}

/// A plain number type that arrays are made of.
///
/// # Safety
/// Every bit pattern of `size_of::<Self>()` bytes must be a valid value and the type must
/// have no padding, because `read_elems` fills its memory straight from the file's bytes.
pub(crate) unsafe trait Elem: Copy + Default {
    /// The same value with its bytes in the opposite order.
    fn swap_bytes(self) -> Self;
}

macro_rules! int_elem {
    ($($t:ty),*) => {$(
        // SAFETY: primitive integers have no padding and no invalid bit patterns.
        unsafe impl Elem for $t {
            fn swap_bytes(self) -> Self {
                <$t>::swap_bytes(self)
            }
        }
    )*};
}
int_elem!(i8, i16, i32, i64);

// SAFETY: every bit pattern of an IEEE float is a valid value (some are NaNs).
unsafe impl Elem for f32 {
    fn swap_bytes(self) -> Self {
        f32::from_bits(self.to_bits().swap_bytes())
    }
}

// SAFETY: as for f32.
unsafe impl Elem for f64 {
    fn swap_bytes(self) -> Self {
        f64::from_bits(self.to_bits().swap_bytes())
    }
}

/// Byte order of the elements in a file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

/// Reads exactly `count` elements of type `T`.
///
/// The decoder writes straight into the result's memory, so the data is neither copied
/// through a byte buffer nor held twice; only a byte order unlike the machine's costs a pass.
pub(crate) fn read_elems<T: Elem>(
    r: &mut impl Read,
    count: u64,
    order: Endian,
) -> io::Result<Vec<T>> {
    let size = std::mem::size_of::<T>();
    let count = to_usize(count)?;
    let total_bytes = count.checked_mul(size).ok_or_else(too_large)?;
    let mut out: Vec<T> = Vec::new();
    while out.len() < count {
        let start = out.len();
        let step = (count - start).min(start.max(FIRST_STEP / size));
        reserve(&mut out, step, total_bytes)?;
        out.resize(start + step, T::default());
        let got = fill(r, as_bytes_mut(&mut out[start..]))?;
        if got < step * size {
            return Err(short((start * size + got) as u64, total_bytes as u64));
        }
    }
    if (order == Endian::Little) != cfg!(target_endian = "little") {
        out.iter_mut().for_each(|x| *x = x.swap_bytes());
    }
    Ok(out)
}

fn as_bytes_mut<T: Elem>(v: &mut [T]) -> &mut [u8] {
    // SAFETY: `Elem` types have no padding and accept any bytes; u8 needs no alignment; the
    // length covers exactly the slice's memory, which stays borrowed for the result's life.
    unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<u8>(), std::mem::size_of_val(v)) }
}

/// Reads until `buf` is full or the stream ends; returns how much was read.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Whether the stream has nothing left (for a gzip stream this also checks its CRC).
pub(crate) fn at_end(r: &mut impl Read) -> io::Result<bool> {
    let mut one = [0u8; 1];
    Ok(fill(r, &mut one)? == 0)
}

fn reserve<T>(v: &mut Vec<T>, step: usize, claimed_bytes: usize) -> io::Result<()> {
    v.try_reserve_exact(step).map_err(|_| {
        io::Error::new(
            ErrorKind::OutOfMemory,
            format!("cannot allocate memory for a length of {claimed_bytes} bytes"),
        )
    })
}

fn short(got: u64, claimed: u64) -> io::Error {
    io::Error::new(
        ErrorKind::UnexpectedEof,
        format!("the header claims {claimed} bytes but the data ends after {got}"),
    )
}

fn to_usize(n: u64) -> io::Result<usize> {
    usize::try_from(n).map_err(|_| too_large())
}

fn too_large() -> io::Error {
    io::Error::new(
        ErrorKind::InvalidData,
        "a length in the header does not fit in memory",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_exact_lengths() {
        let data: Vec<u8> = (0..=255).cycle().take(3 * FIRST_STEP + 5).collect();
        let got = read_bytes(&mut &data[..], data.len() as u64).unwrap();
        assert_eq!(got, data);
        assert_eq!(got.capacity(), data.len());
    }

    #[test]
    fn lying_length_is_an_eof_error_not_an_allocation() {
        let data = [1u8; 10];
        let e = read_bytes(&mut &data[..], 1 << 42).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
        assert!(e.to_string().contains("ends after 10"), "{e}");
        let e = read_elems::<f64>(&mut &data[..], 1 << 42, Endian::Little).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
        assert!(e.to_string().contains("ends after 10"), "{e}");
    }

    #[test]
    fn limited_read_tells_a_true_length_past_the_limit_from_a_lying_one() {
        let data = [7u8; 10];
        assert_eq!(
            read_bytes_limited(&mut &data[..], 4, 5).unwrap(),
            Some(vec![7; 4])
        );
        assert_eq!(read_bytes_limited(&mut &data[..], 8, 5).unwrap(), None);
        let e = read_bytes_limited(&mut &data[..], 1 << 40, 20).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
        assert!(
            e.to_string()
                .contains("claims 1099511627776 bytes but the data ends after 10"),
            "{e}"
        );
    }

    #[test]
    fn decodes_both_byte_orders() {
        let le: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let be: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|x| x.to_be_bytes())
            .collect();
        assert_eq!(
            read_elems::<f32>(&mut &le[..], 2, Endian::Little).unwrap(),
            [1.5, -2.0]
        );
        assert_eq!(
            read_elems::<f32>(&mut &be[..], 2, Endian::Big).unwrap(),
            [1.5, -2.0]
        );
    }

    #[test]
    fn typed_read_spans_many_steps() {
        let vals: Vec<i32> = (0..(3 * FIRST_STEP as i32)).collect();
        let bytes: Vec<u8> = vals.iter().flat_map(|x| x.to_le_bytes()).collect();
        let got = read_elems::<i32>(&mut &bytes[..], vals.len() as u64, Endian::Little).unwrap();
        assert_eq!(got, vals);
    }
}
