//! Mutants of IDX files, safetensors files (their JSON header, and the meaning of a training
//! state's tensors), PNG pictures (chunk by chunk, with checksums made right again so the
//! decoder gets past them) and JPEG pictures (marker segment by segment).
use std::path::Path;

use firelight::nn::StateDict;
use firelight::{DType, Tensor};
use serde_json::{Value, json};

use crate::bytes::{self, number};
use crate::common::crc32;
use crate::rng::Rng;

/// Large sizes for a picture's header to claim: past the 100-megapixel limit, at it, and
/// just under.
const LARGE: [u32; 6] = [10_000, 30_000, 65_535, 100_000, 1 << 20, 0x7fff_ffff];

/// A seed mutated one to four times with `own` (the format's mutations) or at the byte
/// level.
fn mix(
    rng: &mut Rng,
    seeds: &[Vec<u8>],
    own: impl Fn(&mut Rng, &mut Vec<u8>),
    own_share: f64,
) -> Vec<u8> {
    let mut data = rng.pick(seeds).clone();
    for _ in 0..rng.range(1, 5) {
        if rng.chance(own_share) {
            own(rng, &mut data);
        } else {
            bytes::mutate(rng, &mut data, seeds);
        }
    }
    data
}

// ----- IDX -----

/// An IDX mutant: header fields or bytes edited, gzipped now and then.
pub fn idx(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let data = mix(rng, seeds, |r, d| idx_header(r, d), 0.5);
    if rng.chance(0.25) {
        bytes::gzip(&data)
    } else {
        data
    }
}

/// Edits the magic number's type and dimension count, or a dimension's size.
fn idx_header(rng: &mut Rng, d: &mut [u8]) {
    if d.len() < 4 {
        return;
    }
    match rng.below(4) {
        0 => {
            let any = rng.next() as u8;
            d[2] = *rng.pick(&[0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, any]);
        }
        1 => {
            let any = rng.next() as u8;
            d[3] = *rng.pick(&[0, 1, 2, 3, 4, 255, any]);
        }
        _ => {
            let dims = usize::from(d[3]).max(1);
            let at = 4 + 4 * rng.below(dims);
            let size = *rng.pick(&[0u32, 1, 2, 28, 0xffff, 1 << 24, 0x7fff_ffff, u32::MAX]);
            if at + 4 <= d.len() {
                d[at..at + 4].copy_from_slice(&size.to_be_bytes());
            }
        }
    }
}

// ----- safetensors -----

/// A safetensors file split into its JSON header and its data.
fn split_safetensors(d: &[u8]) -> Option<(Value, Vec<u8>)> {
    let n = u64::from_le_bytes(d.get(..8)?.try_into().ok()?) as usize;
    let header = serde_json::from_slice(d.get(8..8usize.checked_add(n)?)?).ok()?;
    Some((header, d[8 + n..].to_vec()))
}

/// A header edit: dtypes, shapes, offsets, entries and the order metadata.
fn safetensors_header(rng: &mut Rng, d: &mut Vec<u8>) {
    let Some((mut h, data)) = split_safetensors(d) else {
        return;
    };
    let Some(map) = h.as_object_mut() else { return };
    let names: Vec<String> = map
        .keys()
        .filter(|k| *k != "__metadata__")
        .cloned()
        .collect();
    if names.is_empty() {
        return;
    }
    let name = rng.pick(&names).clone();
    let huge = || json!(u64::MAX);
    match rng.below(11) {
        9 => {
            // Thousands of empty tensors after the data, every one in the order metadata.
            let end = data.len() as u64;
            let n = rng.size(50_000);
            let mut order: Vec<String> = names.clone();
            for i in 0..n {
                let name = format!("extra.{i}");
                map.insert(
                    name.clone(),
                    json!({"dtype": "F32", "shape": [0], "data_offsets": [end, end]}),
                );
                order.push(name);
            }
            if rng.chance(0.5) {
                order.reverse();
            }
            map.insert(
                "__metadata__".into(),
                json!({ "firelight.order": order.join("\n") }),
            );
        }
        10 => {
            // No elements, so no data to lie about, yet strides that overflow.
            let end = data.len() as u64;
            let mut shape = vec![json!(0)];
            shape.extend((0..rng.range(1, 4)).map(|_| huge()));
            let turn = rng.below(shape.len());
            shape.rotate_left(turn);
            map.insert(
                "model.0.weight.huge".into(),
                json!({"dtype": "F32", "shape": shape, "data_offsets": [end, end]}),
            );
        }
        0 => {
            let dtype = *rng.pick(&[
                "F32", "F64", "I64", "U8", "BOOL", "F16", "BF16", "I32", "I8", "U64", "F8_E4M3",
                "??",
            ]);
            map[&name]["dtype"] = json!(dtype);
        }
        1 | 2 => {
            let shape = map[&name]["shape"]
                .as_array_mut()
                .map(std::mem::take)
                .unwrap_or_default();
            let mut shape: Vec<Value> = shape;
            let value = match rng.below(5) {
                0 => json!(0),
                1 => json!(1),
                2 => huge(),
                3 => json!(1u64 << 32),
                _ => json!(number(rng)),
            };
            match rng.below(3) {
                0 => shape.push(value),
                1 => {
                    shape.pop();
                }
                _ if !shape.is_empty() => {
                    let i = rng.below(shape.len());
                    shape[i] = value;
                }
                _ => shape.insert(0, value),
            }
            map[&name]["shape"] = Value::Array(shape);
        }
        3 => {
            let offsets = &mut map[&name]["data_offsets"];
            let i = rng.below(2);
            let was = offsets[i].as_u64().unwrap_or(0);
            offsets[i] = match rng.below(3) {
                0 => json!(was.wrapping_add(rng.size(64) as u64)),
                1 => json!(was.saturating_sub(rng.size(64) as u64)),
                _ => json!(number(rng)),
            };
        }
        4 => {
            map.remove(&name);
        }
        5 => {
            let entry = map[&name].clone();
            map.insert(format!("{name}.copy"), entry);
        }
        6 => {
            let entry = map.remove(&name).expect("present");
            let new = *rng.pick(&[
                "",
                "model.0.weight",
                "epoch",
                "optimizer.state.7.exp_avg",
                "optimizer_scalar.param_groups.3.lr",
                "x",
            ]);
            map.insert(new.to_string(), entry);
        }
        7 => {
            // The order metadata: shuffled, repeated, unknown names, or very long.
            let mut order: Vec<String> = names.clone();
            match rng.below(4) {
                0 => order.reverse(),
                1 => order.extend(names.iter().cloned().cycle().take(rng.size(50_000))),
                2 => order.push("not a tensor".into()),
                _ => order.clear(),
            }
            map.insert(
                "__metadata__".into(),
                json!({ "firelight.order": order.join("\n") }),
            );
        }
        _ => {
            map.insert(
                "__metadata__".into(),
                rng.pick(&[json!(7), json!({"firelight.order": 5}), json!([1])])
                    .clone(),
            );
        }
    }
    let text = serde_json::to_vec(&h).expect("serialises");
    let len = if rng.chance(0.9) {
        text.len() as u64
    } else {
        number(rng)
    };
    d.clear();
    d.extend(len.to_le_bytes());
    d.extend(text);
    d.extend(data);
}

/// A safetensors mutant: a semantic edit of one of `states` (saved through `scratch`), or
/// header and byte edits of one of `seeds`.
pub fn safetensors(
    rng: &mut Rng,
    seeds: &[Vec<u8>],
    states: &[StateDict],
    scratch: &Path,
) -> Vec<u8> {
    if !states.is_empty() && rng.chance(0.4) {
        let state = rng.pick(states).clone();
        return semantic(rng, state, scratch);
    }
    mix(rng, seeds, safetensors_header, 0.6)
}

/// A training state or checkpoint edited by meaning, through `StateDict` (so the file is a
/// valid safetensors file): tensors removed, emptied, reshaped, given other dtypes,
/// hyperparameters and counters set to values a step cannot use, names moved.
fn semantic(rng: &mut Rng, mut sd: StateDict, scratch: &Path) -> Vec<u8> {
    let names: Vec<String> = sd.keys().iter().map(|n| n.to_string()).collect();
    for _ in 0..rng.range(1, 4) {
        let name = rng.pick(&names).clone();
        let Some(t) = sd.get(&name).cloned() else {
            continue;
        };
        let odd = *rng.pick(&[
            f64::NAN,
            f64::INFINITY,
            -1.0,
            0.0,
            0.5,
            1.0,
            2.0,
            1e30,
            -1e30,
        ]);
        let edited = match rng.below(8) {
            0 => Tensor::from_vec(Vec::<f64>::new(), &[0]),
            1 => Tensor::zeros(&[2, 3]),
            2 => Tensor::from_vec(vec![odd], &[]),
            3 => {
                t.to_dtype(*rng.pick(&[DType::F64, DType::I64, DType::U8, DType::Bool, DType::F32]))
            }
            4 | 5 => Tensor::from_vec(vec![odd], &[1]),
            6 => {
                let key = *rng.pick(&[
                    "optimizer_scalar.param_groups.0.amsgrad",
                    "optimizer_scalar.param_groups.0.nesterov",
                    "optimizer_scalar.param_groups.0.momentum",
                    "optimizer_scalar.param_groups.0.num_params",
                    "optimizer_scalar.param_groups.1.lr",
                    "optimizer_scalar.state.0.step",
                    "optimizer.state.9.exp_avg",
                    "model.9.weight",
                    "bogus",
                ]);
                sd.insert(key, Tensor::from_vec(vec![odd], &[1]));
                continue;
            }
            _ => {
                // Drop it: a state without its step, a model without a bias.
                let mut rest = StateDict::new();
                for (n, t) in sd.iter().filter(|(n, _)| **n != name) {
                    rest.insert(n.clone(), t.clone());
                }
                sd = rest;
                continue;
            }
        };
        sd.insert(name, edited);
    }
    sd.save(scratch).expect("save a mutant state");
    std::fs::read(scratch).expect("read it back")
}

// ----- PNG -----

/// The chunks after the signature: (type, data).
fn png_chunks(d: &[u8]) -> Option<Vec<([u8; 4], Vec<u8>)>> {
    let mut at = 8;
    let mut out = Vec::new();
    while at + 12 <= d.len() {
        let len = u32::from_be_bytes(d[at..at + 4].try_into().ok()?) as usize;
        let kind: [u8; 4] = d[at + 4..at + 8].try_into().ok()?;
        let data = d.get(at + 8..at + 8 + len)?.to_vec();
        out.push((kind, data));
        at += 12 + len;
    }
    Some(out)
}

fn png_join(chunks: &[([u8; 4], Vec<u8>)], fix_crc: bool) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in chunks {
        out.extend((data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend(kind);
        out.extend(data);
        let crc = if fix_crc { crc32(&out[start..]) } else { 0 };
        out.extend(crc.to_be_bytes());
    }
    out
}

/// A chunk-level edit: header fields, image data, chunks dropped, repeated or added.
fn png_chunk_edit(rng: &mut Rng, d: &mut Vec<u8>) {
    let Some(mut chunks) = png_chunks(d) else {
        return;
    };
    if chunks.is_empty() {
        return;
    }
    match rng.below(7) {
        0 | 1 => {
            if let Some((_, ihdr)) = chunks.iter_mut().find(|(k, _)| k == b"IHDR")
                && ihdr.len() >= 13
            {
                match rng.below(5) {
                    0 | 1 => {
                        // The width, the height or both.
                        let sizes = [0u32, 1, 2, 255, 10_000, 100_000, 0x7fff_ffff, u32::MAX];
                        for at in [0, 4] {
                            if rng.chance(0.7) {
                                ihdr[at..at + 4].copy_from_slice(&rng.pick(&sizes).to_be_bytes());
                            }
                        }
                    }
                    2 => ihdr[8] = *rng.pick(&[1, 2, 4, 8, 16, 0, 3, 255]),
                    3 => ihdr[9] = *rng.pick(&[0, 2, 3, 4, 6, 1, 7]),
                    _ => ihdr[12] = *rng.pick(&[0, 1, 2]),
                }
            }
        }
        2 => {
            // Image data that inflates to too little, too much, or nonsense.
            if let Some((_, idat)) = chunks.iter_mut().find(|(k, _)| k == b"IDAT") {
                *idat = match rng.below(3) {
                    0 => bytes::zlib(&vec![0u8; rng.size(1 << 20)]),
                    1 => bytes::zlib(&[]),
                    _ => {
                        let mut v = idat.clone();
                        bytes::mutate(rng, &mut v, &[]);
                        v
                    }
                };
            }
        }
        3 => {
            chunks.remove(rng.below(chunks.len()));
        }
        4 => {
            let c = chunks[rng.below(chunks.len())].clone();
            let at = rng.below(chunks.len() + 1);
            chunks.insert(at, c);
        }
        5 => {
            let extra: ([u8; 4], Vec<u8>) = match rng.below(5) {
                0 => (*b"PLTE", vec![7; *rng.pick(&[0usize, 3, 768, 900])]),
                1 => (*b"tRNS", vec![0; rng.size(300)]),
                2 => (
                    *b"acTL",
                    [u32::MAX.to_be_bytes(), 0u32.to_be_bytes()].concat(),
                ),
                3 => (
                    *b"zTXt",
                    [&b"k\x00\x00"[..], &bytes::zlib(&vec![b'z'; 1 << 20])].concat(),
                ),
                _ => (
                    *b"iCCP",
                    [&b"p\x00\x00"[..], &bytes::zlib(&vec![0; 1 << 20])].concat(),
                ),
            };
            let at = rng.range(1, chunks.len() + 1);
            chunks.insert(at, extra);
        }
        _ => {
            let i = rng.below(chunks.len());
            bytes::mutate(rng, &mut chunks[i].1, &[]);
        }
    }
    *d = png_join(&chunks, rng.chance(0.95));
}

/// A PNG mutant: chunk edits (checksums mostly made right) and byte edits.
pub fn png(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut d = mix(rng, seeds, png_chunk_edit, 0.7);
    if rng.chance(0.1) {
        // A header claiming a huge picture, its checksum made right.
        if let Some(mut chunks) = png_chunks(&d)
            && let Some((_, ihdr)) = chunks.iter_mut().find(|(k, _)| k == b"IHDR")
            && ihdr.len() >= 8
        {
            ihdr[..4].copy_from_slice(&rng.pick(&LARGE).to_be_bytes());
            ihdr[4..8].copy_from_slice(&rng.pick(&LARGE).to_be_bytes());
            d = png_join(&chunks, true);
        }
    }
    d
}

// ----- JPEG -----

/// The marker segments with a length (SOFn, DHT, DQT, SOS, APPn, ...): (offset of the
/// marker, length of the whole segment, at least 4 and within the file).
fn jpeg_segments(d: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 2;
    while at + 4 <= d.len() && d[at] == 0xFF {
        let marker = d[at + 1];
        if marker == 0xD9 {
            break;
        }
        // A length past the end of the file covers what is there.
        let len = (2 + usize::from(u16::from_be_bytes([d[at + 2], d[at + 3]]))).min(d.len() - at);
        out.push((at, len));
        at += len;
        if marker == 0xDA {
            // Entropy-coded data up to the next marker that is not a stuffed byte or a
            // restart.
            while at + 1 < d.len()
                && !(d[at] == 0xFF && d[at + 1] != 0 && !(0xD0..=0xD7).contains(&d[at + 1]))
            {
                at += 1;
            }
        }
    }
    out
}

/// A segment-level edit: frame sizes, precision, components and sampling; table contents;
/// scan parameters; lying segment lengths; segments dropped or repeated.
fn jpeg_segment_edit(rng: &mut Rng, d: &mut Vec<u8>) {
    let segs = jpeg_segments(d);
    if segs.is_empty() {
        return;
    }
    let (at, len) = *rng.pick(&segs);
    let sof = segs
        .iter()
        .copied()
        .find(|&(a, _)| matches!(d[a + 1], 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF));
    match rng.below(7) {
        0 | 1 => {
            let Some((s, slen)) = sof else { return };
            if slen < 10 {
                return;
            }
            match rng.below(5) {
                0 => d[s + 4] = *rng.pick(&[8, 12, 16, 0, 1, 2, 255]),
                1 | 2 => {
                    // The frame's height, width or both.
                    let sizes = [0u16, 1, 8, 255, 256, 4096, 10_000, 65535];
                    for at in [s + 5, s + 7] {
                        if rng.chance(0.7) {
                            d[at..at + 2].copy_from_slice(&rng.pick(&sizes).to_be_bytes());
                        }
                    }
                }
                3 => d[s + 9] = *rng.pick(&[0, 1, 2, 3, 4, 255]),
                _ => {
                    if slen > 11 {
                        d[s + 11] = rng.next() as u8;
                    }
                }
            }
        }
        2 => {
            // Another frame type: progressive, lossless, arithmetic, hierarchical.
            if let Some((s, _)) = sof {
                d[s + 1] = *rng.pick(&[0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC9, 0xCA, 0xCB]);
            }
        }
        3 => {
            let v = number(rng) as u16;
            d[at + 2..at + 4].copy_from_slice(&v.to_be_bytes());
        }
        4 => {
            d.drain(at..(at + len).min(d.len()));
        }
        5 => {
            let seg = d[at..(at + len).min(d.len())].to_vec();
            let to = segs[rng.below(segs.len())].0;
            d.splice(to..to, seg);
        }
        _ => {
            // Inside a segment's body: table entries, scan parameters.
            if len > 4 {
                let i = at + 4 + rng.below(len - 4);
                if i < d.len() {
                    d[i] = if rng.chance(0.5) {
                        rng.next() as u8
                    } else {
                        number(rng) as u8
                    };
                }
            }
        }
    }
}

/// A JPEG mutant: marker-segment edits and byte edits.
pub fn jpeg(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut d = mix(rng, seeds, jpeg_segment_edit, 0.7);
    if rng.chance(0.1) {
        // A frame claiming a huge picture.
        let segs = jpeg_segments(&d);
        if let Some(&(s, len)) = segs.iter().find(|&&(a, _)| matches!(d[a + 1], 0xC0..=0xC2))
            && len >= 9
        {
            for at in [s + 5, s + 7] {
                let size = (*rng.pick(&LARGE)).min(65_535) as u16;
                d[at..at + 2].copy_from_slice(&size.to_be_bytes());
            }
        }
    }
    d
}

/// Checks the chunk parser on a PNG the encoder wrote, before the fuzzer relies on it.
pub fn self_check() {
    let mut bytes = Vec::new();
    let mut enc = png::Encoder::new(&mut bytes, 2, 1);
    enc.set_color(png::ColorType::Grayscale);
    enc.write_header()
        .unwrap()
        .write_image_data(&[1, 2])
        .unwrap();
    let chunks = png_chunks(&bytes).expect("the encoder's PNG parses");
    assert_eq!(chunks[0].0, *b"IHDR");
    assert_eq!(
        png_join(&chunks, true),
        bytes,
        "chunks join back to the same file"
    );
}
