//! Pickle mutants at three levels: bytes; opcodes (a pickle cut into its opcodes and their
//! arguments, then opcodes dropped, repeated, swapped, inserted, their lengths made to lie
//! and their memo indices moved); and structures built whole: sharing bombs, floods of cheap
//! opcodes, deep nesting, cycles, numpy arrays with lying shapes, and every way a pickle can
//! name a callable the reader must refuse.
use crate::bytes::{self, number};
use crate::common::gzip_repeated;
use crate::rng::Rng;

/// How an opcode's argument is laid out.
enum Arg {
    None,
    Fixed(usize),
    /// A little-endian length of this many bytes, then that many bytes.
    Counted(usize),
    Lines(usize),
}

fn arg(op: u8) -> Option<Arg> {
    Some(match op {
        b'('
        | b'.'
        | b'0'
        | b'1'
        | b'2'
        | b'N'
        | b'R'
        | b'a'
        | b'b'
        | b'd'
        | b'}'
        | b'e'
        | b'l'
        | b']'
        | b'o'
        | b's'
        | b't'
        | b')'
        | b'u'
        | b'Q'
        | 0x81
        | 0x85..=0x89
        | 0x8f..=0x94
        | 0x97
        | 0x98 => Arg::None,
        0x80 | b'K' | b'q' | b'h' | 0x82 => Arg::Fixed(1),
        b'M' | 0x83 => Arg::Fixed(2),
        b'J' | b'r' | b'j' | 0x84 => Arg::Fixed(4),
        b'G' | 0x95 => Arg::Fixed(8),
        b'U' | b'C' | 0x8c | 0x8a => Arg::Counted(1),
        b'T' | b'B' | b'X' | 0x8b => Arg::Counted(4),
        0x8d | 0x8e | 0x96 => Arg::Counted(8),
        b'I' | b'L' | b'F' | b'S' | b'V' | b'p' | b'g' | b'P' => Arg::Lines(1),
        b'c' | b'i' => Arg::Lines(2),
        _ => return None,
    })
}

/// The pickle cut into opcodes with their arguments (byte ranges); what follows an unknown
/// opcode, or an argument that runs past the end, is one last piece.
fn tokens(data: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let len = match arg(data[at]) {
            Some(Arg::None) => Some(1),
            Some(Arg::Fixed(n)) => Some(1 + n),
            Some(Arg::Counted(w)) => data.get(at + 1..at + 1 + w).map(|b| {
                let mut le = [0u8; 8];
                le[..w].copy_from_slice(b);
                1 + w + u64::from_le_bytes(le).min(bytes::MAX_LEN as u64) as usize
            }),
            Some(Arg::Lines(n)) => {
                let mut end = at + 1;
                for _ in 0..n {
                    end += data[end.min(data.len())..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(data.len(), |p| p + 1);
                }
                Some(end - at)
            }
            None => None,
        };
        let end = len.map_or(data.len(), |l| (at + l).min(data.len()));
        out.push(at..end);
        at = end;
    }
    out
}

/// Opcodes that make sense on their own, to insert anywhere: structure, memo, numbers,
/// strings, the allowed globals and the forbidden ones in each form a pickle can use.
const DICTIONARY: &[&[u8]] = &[
    b"(",
    b".",
    b"0",
    b"1",
    b"2",
    b"N",
    b"R",
    b"a",
    b"b",
    b"d",
    b"}",
    b"e",
    b"l",
    b"]",
    b"s",
    b"t",
    b")",
    b"u",
    b"\x85",
    b"\x86",
    b"\x87",
    b"\x88",
    b"\x89",
    b"\x94",
    b"h\x00",
    b"h\x01",
    b"q\x00",
    b"q\x01",
    b"j\x00\x00\x00\x00",
    b"r\xff\xff\xff\xff",
    b"g0\n",
    b"p0\n",
    b"K\x00",
    b"K\x01",
    b"J\xff\xff\xff\xff",
    b"M\xff\xff",
    b"\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f",
    b"G\x7f\xf8\x00\x00\x00\x00\x00\x00",
    b"U\x02f4",
    b"U\x02u1",
    b"U\x01<",
    b"U\x01>",
    b"U\x01C",
    b"C\x00",
    b"B\x04\x00\x00\x00abcd",
    b"X\x06\x00\x00\x00latin1",
    b"\x95\x10\x00\x00\x00\x00\x00\x00\x00",
    b"\x80\x05",
    b"cnumpy\ndtype\n",
    b"cnumpy\nndarray\n",
    b"cnumpy.core.multiarray\n_reconstruct\n",
    b"cnumpy._core.numeric\n_frombuffer\n",
    b"c_codecs\nencode\n",
    b"c__builtin__\nbytearray\n",
    b"cos\nsystem\n",
    b"cposix\nsystem\n",
    b"cbuiltins\neval\n",
    b"cbuiltins\nexec\n",
    b"cbuiltins\ngetattr\n",
    b"csubprocess\nPopen\n",
    b"cnumpy\nload\n",
    b"\x8c\x02os\x8c\x06system\x93",
    b"\x8c\x08builtins\x8c\x04eval\x93",
    b"ios\nsystem\n",
    b"o",
    b"\x81",
    b"\x92",
];

/// One opcode-level mutation.
fn mutate_opcodes(rng: &mut Rng, data: &mut Vec<u8>) {
    let toks = tokens(data);
    if toks.is_empty() {
        data.extend(*rng.pick(DICTIONARY));
        return;
    }
    let t = toks[rng.below(toks.len())].clone();
    match rng.below(8) {
        0 => {
            data.drain(t);
        }
        1 => {
            let times = rng.size((bytes::MAX_LEN / t.len().max(1)).clamp(1, 100_000));
            let piece = data[t.clone()].repeat(times);
            data.splice(t.start..t.start, piece);
        }
        2 => {
            let u = toks[rng.below(toks.len())].clone();
            if u.start > t.end {
                let (a, b) = (data[t.clone()].to_vec(), data[u.clone()].to_vec());
                data.splice(u, a);
                data.splice(t, b);
            }
        }
        3 => {
            data.splice(t.start..t.start, rng.pick(DICTIONARY).iter().copied());
        }
        4 => {
            data.splice(t, rng.pick(DICTIONARY).iter().copied());
        }
        5 => {
            // A length that lies, or a number (memo index, int, shape) moved to an edge.
            let width = match arg(data[t.start]) {
                Some(Arg::Counted(w) | Arg::Fixed(w)) => w,
                _ => return,
            };
            if t.len() > width {
                let n = number(rng).to_le_bytes();
                data[t.start + 1..t.start + 1 + width].copy_from_slice(&n[..width]);
            }
        }
        6 => {
            // A run of opcodes repeated: the memo and stack grow with it.
            let u = toks[rng.range(0, toks.len())].clone();
            let (a, b) = (t.start.min(u.start), t.end.max(u.end));
            let times = rng.size(bytes::MAX_LEN / (b - a).max(1) / 2);
            let piece = data[a..b].repeat(times);
            data.splice(a..a, piece);
        }
        _ => {
            // Another opcode with the same argument bytes.
            data[t.start] = rng.next() as u8;
        }
    }
    data.truncate(bytes::MAX_LEN);
}

/// A payload of `n` bytes of `fill` (`op`: BINBYTES or BINUNICODE, with a 4-byte length),
/// stored in memo 0 and taken off the stack, then a MARK for what refers to it.
fn memoized_payload(p: &mut Vec<u8>, op: u8, n: usize, fill: u8) {
    p.push(op);
    p.extend((n as u32).to_le_bytes());
    p.extend(vec![fill; n]);
    p.extend(b"q\x000(");
}

/// A pickle built whole around one way of making a reader run away.
fn structure(rng: &mut Rng) -> Vec<u8> {
    let mut p = vec![0x80, *rng.pick(&[2u8, 3, 4, 5])];
    match rng.below(12) {
        0 => {
            // Shared tuples: each level refers to the one below twice or three times.
            p.extend(b"K\x00");
            for _ in 0..rng.size(400) {
                p.extend(*rng.pick(&[&b"2\x86"[..], b"22\x87", b"\x85"]));
            }
        }
        1 => {
            // Lists doubling through the memo.
            p.extend(b"]q\x00");
            let levels = rng.size(250) as u8;
            for k in 0..levels.min(250) {
                p.extend([b'0', b']', b'q', k + 1, b'h', k, b'a', b'h', k, b'a']);
            }
        }
        2 => {
            // One payload, referred to many times.
            memoized_payload(&mut p, b'B', rng.size(2 << 20), b'x');
            p.extend(b"h\x00".repeat(rng.size(200_000)));
            p.push(b'l');
        }
        3 => {
            // One string encoded to bytes again and again.
            memoized_payload(&mut p, b'X', rng.size(1 << 20), b'y');
            p.extend(b"c_codecs\nencode\nh\x00X\x06\x00\x00\x00latin1\x86R".repeat(rng.size(5000)));
            p.push(b'l');
        }
        4 => {
            // One buffer behind many arrays.
            let n = rng.size(1 << 20);
            memoized_payload(&mut p, b'B', n, 0);
            let mut one =
                b"cnumpy.core.numeric\n_frombuffer\n(h\x00cnumpy\ndtype\nU\x02u1\x85RJ".to_vec();
            one.extend((n as u32).to_le_bytes());
            one.extend(b"\x85U\x01CtR");
            p.extend(one.repeat(rng.size(3000)));
            p.push(b'l');
        }
        5 => p.extend(b"(".repeat(rng.size(4 << 20))),
        6 => {
            // Many lists of many Nones.
            p.push(b'(');
            let lists = rng.size(50);
            for _ in 0..lists {
                p.extend(b"](");
                p.extend(b"N".repeat(rng.size((6 << 20) / lists)));
                p.push(b'e');
            }
            p.push(b't');
        }
        7 => {
            // Deep nesting of one kind or mixed.
            for _ in 0..rng.size(20_000) {
                p.extend(*rng.pick(&[&b"]("[..], b"}(K\x00", b"("]));
            }
            p.push(b'N');
        }
        8 => {
            // Containers that contain themselves.
            p.extend(*rng.pick(&[
                &b"]q\x00h\x00a"[..],
                b"}q\x00K\x00h\x00s",
                b"]q\x00h\x00\x85a",
                b"]q\x00(h\x00h\x00le",
            ]));
        }
        9 => {
            // A forbidden callable, named and called in each way pickle allows.
            let name = *rng.pick(&[
                &b"cos\nsystem\n"[..],
                b"cposix\nsystem\n",
                b"cbuiltins\neval\n",
                b"c__builtin__\nexec\n",
                b"csubprocess\nPopen\n",
                b"cbuiltins\n__import__\n",
                b"\x8c\x02os\x8c\x06system\x93",
                b"\x8c\x0anumpy.core\x8c\x05numpy\x93",
            ]);
            let call = *rng.pick(&[
                &b"X\x04\x00\x00\x00true\x85R"[..],
                b")R",
                b")\x81",
                b"}\x92",
                b"N\x86b",
                b"",
            ]);
            if rng.chance(0.2) {
                p.extend(b"(X\x04\x00\x00\x00trueios\nsystem\n");
            } else {
                p.extend(name);
                p.extend(call);
            }
        }
        10 => {
            // A numpy array whose parts may disagree: shape, dtype, order, data length.
            p.extend(b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R(K\x01(");
            for _ in 0..rng.below(4) {
                p.push(0x8a);
                p.push(8);
                p.extend(number(rng).to_le_bytes());
            }
            p.push(b't');
            let dtype = *rng.pick(&["f4", "f8", "i8", "i4", "u1", "b1", "O8", "U5", "<f4", ">i8"]);
            p.extend(b"cnumpy\ndtype\nU");
            p.push(dtype.len() as u8);
            p.extend(dtype.as_bytes());
            p.extend(b"K\x00K\x01\x87R(K\x03U\x01");
            p.push(*rng.pick(b"<>|="));
            p.extend(b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb");
            p.push(*rng.pick(&[0x88u8, 0x89]));
            let n = rng.size(1 << 17);
            p.push(b'B');
            p.extend((n as u32).to_le_bytes());
            p.extend((0..n).map(|i| i as u8));
            p.extend(b"tb");
        }
        _ => {
            // Memo entries without end.
            for i in 0..rng.size(1 << 20) as u32 {
                p.push(b'N');
                p.push(b'r');
                p.extend(i.to_le_bytes());
                p.push(b'0');
            }
            p.push(b'N');
        }
    }
    p.push(b'.');
    p
}

/// The floods: a head, one cheap piece repeated (MARKs, Nones in a list, lists of 4,194,302
/// Nones each, MARK POP_MARK, push and pop, memo writes), a tail.
const FLOODS: [(&[u8], &[u8], &[u8]); 6] = [
    (b"\x80\x02", b"(", b"N."),
    (b"\x80\x02](", b"N", b"e."),
    (b"\x80\x02(", b"", b"t."),
    (b"\x80\x02", b"(1", b"N."),
    (b"\x80\x02", b"N0", b"N."),
    (b"\x80\x02N", b"q\x00", b"."),
];

/// One gzip member per flood: its piece repeated to 16 MiB, compressed once per process.
fn flood_members() -> &'static [Vec<u8>] {
    static MEMBERS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    MEMBERS.get_or_init(|| {
        let list_of_nones = [&b"]("[..], &b"N".repeat((1 << 22) - 2), b"e"].concat();
        FLOODS
            .iter()
            .map(|&(_, piece, _)| {
                let piece = if piece.is_empty() {
                    &list_of_nones[..]
                } else {
                    piece
                };
                gzip_repeated(Vec::new(), b"", piece, (16 << 20) / piece.len(), b"")
            })
            .collect()
    })
}

/// A gzipped flood of up to a gigabyte in a file of about a megabyte, as the issue's
/// reproducers were: gzip members one after another read as one stream, so a flood is its
/// head, copies of its cached 16 MiB member, and its tail.
fn flood(rng: &mut Rng) -> Vec<u8> {
    let kind = rng.below(FLOODS.len());
    let (head, _, tail) = FLOODS[kind];
    let mut out = bytes::gzip(head);
    for _ in 0..rng.range(1, 65) {
        out.extend(&flood_members()[kind]);
    }
    out.extend(bytes::gzip(tail));
    out
}

/// A pickle mutant: a structure built whole, or a seed mutated at the byte and opcode
/// levels (one to four times), gzipped now and then (the reader takes either).
pub fn mutant(rng: &mut Rng, seeds: &[Vec<u8>], gzip: Option<bool>) -> Vec<u8> {
    if rng.chance(0.03) {
        return flood(rng);
    }
    let mut data = if rng.chance(0.25) {
        structure(rng)
    } else {
        rng.pick(seeds).clone()
    };
    for _ in 0..rng.range(1, 5) {
        if rng.chance(0.6) {
            mutate_opcodes(rng, &mut data);
        } else {
            bytes::mutate(rng, &mut data, seeds);
        }
    }
    if gzip.unwrap_or_else(|| rng.chance(0.3)) {
        data = bytes::gzip(&data);
        if rng.chance(0.15) {
            bytes::mutate(rng, &mut data, &[]);
        }
    }
    data
}

/// Checks the opcode cutter on a known pickle, before the fuzzer relies on it.
pub fn self_check() {
    let p = b"\x80\x02K\x01X\x02\x00\x00\x00hicos\nsystem\n\x86.";
    assert_eq!(tokens(p), [0..2, 2..4, 4..11, 11..22, 22..23, 23..24]);
}
