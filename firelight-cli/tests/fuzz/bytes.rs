//! Mutations that know nothing of the format: bits, bytes, numbers that break length fields,
//! cuts, copies and splices. Every format's mutator mixes these with its own.
use crate::rng::Rng;

/// The largest mutant made, so that amplifying mutations stay quick to write and read.
pub const MAX_LEN: usize = 8 << 20;

/// Numbers at the edges of what length, count and size fields hold.
pub const INTERESTING: [u64; 20] = [
    0,
    1,
    2,
    3,
    7,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0x8000,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    1 << 32,
    1 << 40,
    i64::MAX as u64,
    u64::MAX,
];

/// An interesting number, or one near it.
pub fn number(rng: &mut Rng) -> u64 {
    let n = *rng.pick(&INTERESTING);
    match rng.below(4) {
        0 => n.wrapping_add(1),
        1 => n.wrapping_sub(1),
        _ => n,
    }
}

/// Applies one byte-level mutation to `data`; `others` are seeds to splice from.
pub fn mutate(rng: &mut Rng, data: &mut Vec<u8>, others: &[Vec<u8>]) {
    if data.is_empty() {
        data.push(rng.next() as u8);
        return;
    }
    let at = rng.below(data.len());
    match rng.below(10) {
        0 => data[at] ^= 1 << rng.below(8),
        1 => data[at] = rng.next() as u8,
        2 => data[at] = number(rng) as u8,
        3 => {
            let width = *rng.pick(&[1usize, 2, 4, 8]);
            let n = number(rng);
            // The low `width` bytes of the number, in either byte order.
            let src = if rng.chance(0.5) {
                n.to_le_bytes()[..width].to_vec()
            } else {
                n.to_be_bytes()[8 - width..].to_vec()
            };
            let end = (at + width).min(data.len());
            data[at..end].copy_from_slice(&src[..end - at]);
        }
        4 => {
            let n = rng.size(data.len() - at);
            data.drain(at..at + n);
        }
        5 => {
            let n = rng.size(64);
            let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            data.splice(at..at, junk);
        }
        6 => {
            let n = rng.size(data.len() - at);
            let copy = data[at..at + n].to_vec();
            let to = rng.below(data.len() + 1);
            data.splice(to..to, copy);
        }
        7 => data.truncate(at),
        8 if !others.is_empty() => {
            let other = rng.pick(others);
            if !other.is_empty() {
                let from = rng.below(other.len());
                let n = rng.size(other.len() - from);
                data.splice(at..at, other[from..from + n].iter().copied());
            }
        }
        _ => {
            // One stretch repeated many times: what a stream of cheap opcodes or a
            // deeply nested header looks like.
            let n = rng.size(16.min(data.len() - at));
            let times = rng.size(MAX_LEN / n / 4);
            let piece = data[at..at + n].repeat(times);
            data.splice(at..at, piece);
        }
    }
    data.truncate(MAX_LEN);
}

/// gzip of `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}

/// zlib of `bytes` (PNG's image data).
pub fn zlib(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("zlib in memory");
    enc.finish().expect("zlib in memory")
}

/// The uncompressed bytes of a gzip file.
pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("seed is valid gzip");
    out
}
