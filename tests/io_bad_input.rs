//! Damaged and hostile files: each must give an error naming the file and what is wrong,
//! never a panic, an abort or a huge allocation.
mod common;

use std::path::Path;

use common::{TempDir, fixture, gzip, idx_bytes};
use firelight::io::{load_idx, load_pickle, load_pickle_gz};

/// The error message for `path`, checking that it names the file and says each of `want`.
fn assert_err<T: std::fmt::Debug>(path: &Path, result: firelight::Result<T>, want: &[&str]) {
    let msg = result.expect_err("bad input must be an error").to_string();
    eprintln!("{msg}");
    assert!(
        msg.contains(&path.display().to_string()),
        "does not name {}: {msg}",
        path.display()
    );
    for w in want {
        assert!(msg.contains(w), "expected {w:?} in: {msg}");
    }
}

fn pickle_err(name: &str, bytes: &[u8], want: &[&str]) {
    let dir = TempDir::new("bad-pickle");
    let path = dir.file(name, bytes);
    assert_err(&path, load_pickle(&path), want);
}

fn idx_err(name: &str, bytes: &[u8], want: &[&str]) {
    let dir = TempDir::new("bad-idx");
    let path = dir.file(name, bytes);
    assert_err(&path, load_idx(&path), want);
}

#[test]
fn truncated_gzip() {
    let whole = std::fs::read(fixture("pickle/big_p4.pkl.gz")).unwrap();
    let dir = TempDir::new("truncated-gz");
    // Cut inside the compressed data, and cut only the 8-byte CRC/size trailer.
    for (name, keep) in [
        ("half.pkl.gz", whole.len() / 2),
        ("no-trailer.pkl.gz", whole.len() - 8),
    ] {
        let path = dir.file(name, &whole[..keep]);
        assert_err(&path, load_pickle_gz(&path), &["truncated"]);
        assert_err(&path, load_pickle(&path), &["truncated"]);
    }
    let idx = gzip(&idx_bytes(8, &[1000], &[7; 1000]));
    idx_err(
        "labels-idx1-ubyte.gz",
        &idx[..idx.len() / 2],
        &["truncated"],
    );
    idx_err(
        "labels-idx1-ubyte.gz",
        &idx[..idx.len() - 8],
        &["truncated"],
    );
}

#[test]
fn corrupt_gzip() {
    let mut bytes = gzip(&idx_bytes(8, &[1000], &[7; 1000]));
    let n = bytes.len();
    bytes[n - 6] ^= 0xff; // inside the CRC
    idx_err("labels.gz", &bytes, &["corrupt"]);
    let dir = TempDir::new("not-gz");
    let path = dir.file("plain.pkl.gz", b"\x80\x02N.");
    assert_err(
        &path,
        load_pickle_gz(&path),
        &["not a gzip file", "[80 02]"],
    );
}

#[test]
fn wrong_idx_magic() {
    idx_err(
        "images-idx3-ubyte",
        &[1, 2, 8, 1, 0, 0, 0, 1, 5],
        &["not an IDX file", "0x01020801"],
    );
    idx_err(
        "images-idx3-ubyte",
        &idx_bytes(0x42, &[1], &[5]),
        &["unknown IDX element type 0x42"],
    );
    idx_err("empty-idx3-ubyte", &[], &["truncated", "magic number"]);
}

#[test]
fn idx_dims_that_disagree_with_the_data() {
    let short = idx_bytes(8, &[2, 28, 28], &[0; 2 * 784 - 1]);
    idx_err(
        "images-idx3-ubyte",
        &short,
        &[
            "truncated",
            "[2, 28, 28]",
            "claims 1568 bytes",
            "ends after 1567",
        ],
    );
    idx_err(
        "images-idx3-ubyte.gz",
        &gzip(&short),
        &["truncated", "claims 1568 bytes"],
    );
    let long = idx_bytes(8, &[2, 28, 28], &[0; 2 * 784 + 3]);
    idx_err(
        "images-idx3-ubyte",
        &long,
        &["longer than its header says", "[2, 28, 28]", "1568 bytes"],
    );
    idx_err(
        "images-idx3-ubyte.gz",
        &gzip(&long),
        &["longer than its header says"],
    );
    let f32s = idx_bytes(0x0D, &[3], &[0; 11]);
    idx_err("floats-idx1", &f32s, &["truncated", "claims 12 bytes"]);
}

#[test]
fn idx_header_claiming_terabytes() {
    // 10^12 one-byte elements: the reader must fail on the missing data, not allocate 1 TB.
    let huge = idx_bytes(8, &[1_000_000, 1_000_000], &[1, 2, 3]);
    idx_err(
        "huge-idx2-ubyte",
        &huge,
        &["truncated", "claims 1000000000000 bytes", "ends after 3"],
    );
    idx_err(
        "huge-idx2-ubyte.gz",
        &gzip(&huge),
        &["truncated", "claims 1000000000000 bytes"],
    );
    let overflow = idx_bytes(0x0E, &[u32::MAX, u32::MAX, u32::MAX], &[]);
    idx_err(
        "overflow-idx3",
        &overflow,
        &["more data than fits in memory"],
    );
}

#[test]
fn unsupported_pickle_opcode() {
    // NEWOBJ (0x81) at offset 3, after PROTO 2 and NONE.
    pickle_err(
        "newobj.pkl",
        b"\x80\x02N\x81.",
        &["unsupported pickle opcode 0x81 (NEWOBJ) at offset 3"],
    );
    pickle_err(
        "junk.pkl",
        b"\x80\x02\xff",
        &["unsupported pickle opcode 0xff (not a pickle opcode) at offset 2"],
    );
    pickle_err(
        "empty-set.pkl",
        b"\x80\x04\x8f.",
        &["opcode 0x8f (EMPTY_SET) at offset 2"],
    );
    pickle_err("proto9.pkl", b"\x80\x09N.", &["protocol 9"]);
}

#[test]
fn pickle_global_outside_the_allow_list() {
    // Python: pickle.dumps(os.system-call) at protocol 2, and STACK_GLOBAL builtins.eval.
    let system = b"\x80\x02cposix\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03.";
    pickle_err(
        "system.pkl",
        system,
        &["`posix.system`", "not allowed", "GLOBAL at offset 2"],
    );
    pickle_err(
        "os.pkl",
        b"\x80\x02cos\nsystem\n.",
        &["`os.system`", "not allowed"],
    );
    let eval = b"\x80\x04\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94.";
    pickle_err(
        "eval.pkl",
        eval,
        &[
            "`builtins.eval`",
            "not allowed",
            "STACK_GLOBAL at offset 20",
        ],
    );
    // An allowed name used for something other than arrays is still refused.
    pickle_err(
        "bytes-n.pkl",
        b"\x80\x02c__builtin__\nbytes\nJ\x00\x00\x00\x10\x85R.",
        &["bytes() or bytearray()"],
    );
}

#[test]
fn pickle_lengths_claiming_terabytes() {
    let tb = (1u64 << 40).to_le_bytes();
    for (name, code) in [
        ("binbytes8.pkl", 0x8e),
        ("bytearray8.pkl", 0x96),
        ("binunicode8.pkl", 0x8d),
    ] {
        let mut bytes = vec![0x80, 4, code];
        bytes.extend(tb);
        bytes.extend(b"abc");
        pickle_err(
            name,
            &bytes,
            &[
                "truncated",
                "claims 1099511627776 bytes",
                "ends after 3",
                "at offset 2",
            ],
        );
    }
    // BINSTRING's length is an i32: at most 2 GiB, or negative.
    pickle_err(
        "binstring.pkl",
        b"\x80\x02T\xff\xff\xff\x7fabc",
        &["truncated", "claims 2147483647 bytes"],
    );
    pickle_err(
        "negative.pkl",
        b"\x80\x02T\x00\x00\x00\x80abc",
        &["negative string length -2147483648"],
    );
    pickle_err(
        "long4.pkl",
        b"\x80\x02\x8b\xff\xff\xff\xff",
        &["integer of 4294967295 bytes"],
    );
}

#[test]
fn pickle_array_payload_claiming_more_than_the_file_holds() {
    // The tutorial's layout up to an f4 array's data, whose BINSTRING claims ~2 GiB: this
    // takes the path that decodes floats as they stream, which must fail just as cleanly.
    let mut bytes =
        b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R"
            .to_vec();
    bytes.extend(b"(K\x01J\xf0\xff\xff\x1f\x85cnumpy\ndtype\nU\x02f4K\x00K\x01\x87R");
    bytes.extend(b"(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89");
    bytes.extend(b"T\xc0\xff\xff\x7f");
    bytes.extend([0u8; 1000]);
    pickle_err(
        "x_train.pkl",
        &bytes,
        &["truncated", "claims 2147483584 bytes", "ends after 1000"],
    );
    let dir = TempDir::new("bad-pickle-gz");
    let path = dir.file("x_train.pkl.gz", &gzip(&bytes));
    assert_err(
        &path,
        load_pickle_gz(&path),
        &["truncated", "claims 2147483584 bytes"],
    );
}

#[test]
fn malformed_pickles() {
    pickle_err(
        "no-stop.pkl",
        b"\x80\x02N",
        &["truncated", "without its STOP opcode"],
    );
    pickle_err("no-mark.pkl", b"\x80\x02Nt.", &["no MARK"]);
    pickle_err("underflow.pkl", b"\x80\x02\x85.", &["stack underflow"]);
    pickle_err("memo.pkl", b"\x80\x02h\x05.", &["memo has no entry 5"]);
    pickle_err("empty.pkl", b"\x80\x02.", &["empty stack"]);
    let mut deep = b"\x80\x02)".to_vec();
    deep.extend([0x85; 1000]);
    deep.push(b'.');
    pickle_err("deep.pkl", &deep, &["nested deeper than"]);
    let mut many = b"\x80\x02".to_vec();
    many.extend(vec![b'N'; (1 << 22) + 1]);
    pickle_err("many.pkl", &many, &["more than 4194304 values"]);
    // A dtype whose BUILD state says the array is big-endian, built by hand.
    let mut be =
        b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R"
            .to_vec();
    be.extend(b"(K\x01K\x02\x85cnumpy\ndtype\nU\x02i8K\x00K\x01\x87R");
    be.extend(b"(K\x03U\x01>NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89U\x10");
    be.extend([0u8; 16]);
    be.extend(b"tb.");
    pickle_err(
        "be.pkl",
        &be,
        &["only little-endian", ">i8", "BUILD at offset"],
    );
}
