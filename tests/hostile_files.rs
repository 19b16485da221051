//! Small files built to exhaust a reader (issue 11's reproducers, and their relatives): each
//! must give a clean error, or the correct value when the file is valid, within 2 seconds
//! and 1 GiB. Each reading test runs in a child process limited to that memory, so a reader
//! that runs away fails the test instead of taking the machine with it.
mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{TempDir, gzip, gzip_repeated, idx_bytes, in_limited_child, within};
use firelight::datasets::Mnist;
use firelight::io::{PickleValue, load_idx, load_pickle, load_pickle_gz, parse_pickle, pickle};
use firelight::nn::StateDict;

/// 1 GiB, in the MiB that `in_limited_child` takes.
const GIB: u64 = 1024;
const SECONDS: Duration = Duration::from_secs(2);

/// `bytes` as the tutorial's `mnist.pkl.gz` in a fresh folder: what `Mnist::load` and every
/// CLI command that loads data read.
fn as_mnist(dir: &TempDir, bytes: &[u8]) -> firelight::Result<Mnist> {
    dir.file("mnist.pkl.gz", &gzip(bytes));
    Mnist::load(dir.path())
}

fn assert_not_mnist(result: firelight::Result<Mnist>) {
    let e = result.expect_err("not MNIST").to_string();
    assert!(e.contains("not the tutorial's MNIST layout"), "{e}");
}

/// `gzip_repeated` into a new file at `path`.
fn gzip_file(path: &Path, head: &[u8], body: &[u8], times: usize, tail: &[u8]) {
    gzip_repeated(
        std::fs::File::create(path).unwrap(),
        head,
        body,
        times,
        tail,
    );
}

fn pickle_err(bytes: &[u8], want: &[&str]) {
    let e = within(SECONDS, "reading", || parse_pickle(bytes, "hostile.pkl"))
        .expect_err("a hostile pickle must be refused")
        .to_string();
    for w in want {
        assert!(e.contains(w), "expected {w:?} in: {e}");
    }
}

#[test]
fn shared_tuples_stay_shared() {
    // Issue 11, cause 1: K0, then DUP TUPLE2 64 times: a pair of pairs ... 2^64 leaves.
    in_limited_child("shared_tuples_stay_shared", GIB, || {
        let mut bytes = b"\x80\x02K\x00".to_vec();
        bytes.extend(b"2\x86".repeat(64));
        bytes.push(b'.');
        let dir = TempDir::new("shared-tuples");
        let path = dir.file("t.pkl.gz", &gzip(&bytes));
        let v = within(SECONDS, "shared tuples", || load_pickle_gz(&path)).unwrap();
        let (mut level, mut depth) = (&v, 0);
        while let PickleValue::Tuple(pair) = level {
            if let (PickleValue::Tuple(a), PickleValue::Tuple(b)) = (&pair[0], &pair[1]) {
                assert!(Arc::ptr_eq(a, b), "the two halves are one tuple");
            }
            (level, depth) = (&pair[0], depth + 1);
        }
        assert_eq!((level, depth), (&PickleValue::Int(0), 64));
        assert_not_mnist(within(SECONDS, "as MNIST", || as_mnist(&dir, &bytes)));
    });
}

#[test]
fn lists_shared_through_the_memo_stay_shared() {
    // Cause 2: L(0) = [], L(k+1) = [L(k), L(k)] through BINPUT/BINGET, 24 levels.
    in_limited_child("lists_shared_through_the_memo_stay_shared", GIB, || {
        let mut bytes = b"\x80\x02]q\x00".to_vec();
        for k in 0..24u8 {
            bytes.extend([b'0', b']', b'q', k + 1, b'h', k, b'a', b'h', k, b'a']);
        }
        bytes.push(b'.');
        assert!(bytes.len() < 300);
        let v = within(SECONDS, "shared lists", || {
            parse_pickle(&bytes[..], "l.pkl")
        })
        .unwrap();
        let mut level = &v;
        for k in (0..24).rev() {
            let PickleValue::List(items) = level else {
                panic!("level {k} is not a list")
            };
            let (PickleValue::List(a), PickleValue::List(b)) = (&items[0], &items[1]) else {
                panic!("level {k} does not hold two lists")
            };
            assert!(Arc::ptr_eq(a, b));
            level = &items[0];
        }
        assert_eq!(level, &PickleValue::List(vec![].into()));
        let dir = TempDir::new("shared-lists");
        assert_not_mnist(within(SECONDS, "as MNIST", || as_mnist(&dir, &bytes)));
    });
}

#[test]
fn one_string_referred_to_many_times_is_held_once() {
    // Cause 3: a 1 MiB byte string, then a list of 4,096 references to it (4 GiB if copied).
    in_limited_child(
        "one_string_referred_to_many_times_is_held_once",
        GIB,
        || {
            let mut bytes = b"\x80\x03B".to_vec();
            bytes.extend((1u32 << 20).to_le_bytes());
            bytes.extend(vec![b'x'; 1 << 20]);
            bytes.extend(b"q\x000](");
            bytes.extend(b"h\x00".repeat(4096));
            bytes.extend(b"e.");
            let dir = TempDir::new("shared-string");
            let path = dir.file("s.pkl.gz", &gzip(&bytes));
            assert!(std::fs::metadata(&path).unwrap().len() < 20_000);
            let v = within(SECONDS, "shared string", || load_pickle(&path)).unwrap();
            let items = v.into_items().unwrap();
            assert_eq!(items.len(), 4096);
            let PickleValue::Bytes(first) = &items[0] else {
                panic!("not bytes")
            };
            assert_eq!(first.len(), 1 << 20);
            assert!(
                items
                    .iter()
                    .all(|i| matches!(i, PickleValue::Bytes(b) if Arc::ptr_eq(b, first)))
            );
            assert_not_mnist(within(SECONDS, "as MNIST", || as_mnist(&dir, &bytes)));
        },
    );
}

#[test]
fn copies_of_one_string_are_charged_to_one_budget() {
    // Sharing that must copy: one 1 MiB str encoded to bytes 4,096 times, and one 1 MiB
    // payload behind 4,096 arrays. Copies may not outgrow the data the file holds.
    in_limited_child(
        "copies_of_one_string_are_charged_to_one_budget",
        GIB,
        || {
            let mut encode = b"\x80\x02X".to_vec();
            encode.extend((1u32 << 20).to_le_bytes());
            encode.extend(vec![b'x'; 1 << 20]);
            encode.extend(b"q\x000(");
            encode.extend(b"c_codecs\nencode\nh\x00X\x06\x00\x00\x00latin1\x86R".repeat(4096));
            encode.extend(b"l.");
            pickle_err(
                &encode,
                &["_codecs.encode", "copy more data than the pickle holds"],
            );

            let mut arrays = b"\x80\x02B".to_vec();
            arrays.extend((1u32 << 20).to_le_bytes());
            arrays.extend(vec![0u8; 1 << 20]);
            arrays.extend(b"q\x000(");
            // _frombuffer(data, dtype('u1'), (1 << 20,), 'C'), each over the memoized data.
            let frombuffer = [
                &b"cnumpy.core.numeric\n_frombuffer\n(h\x00cnumpy\ndtype\nU\x02u1\x85R"[..],
                b"J\x00\x00\x10\x00\x85U\x01CtR",
            ]
            .concat();
            arrays.extend(frombuffer.repeat(4096));
            arrays.extend(b"l.");
            pickle_err(
                &arrays,
                &["numpy arrays sharing one data buffer", "copy more data"],
            );
        },
    );
}

#[test]
fn marks_are_capped() {
    // Cause 4: 300 million MARKs, 292 KB gzipped.
    in_limited_child("marks_are_capped", GIB, || {
        let dir = TempDir::new("marks");
        let path = dir.path().join("mnist.pkl.gz");
        gzip_file(&path, b"\x80\x02", b"(", 300_000_000, b".");
        let e = within(SECONDS, "300M marks", || load_pickle_gz(&path)).unwrap_err();
        let e = e.to_string();
        assert!(
            e.contains(&format!(
                "more than {} MARKs open at once",
                pickle::MAX_MARKS
            )),
            "{e}"
        );
        let e = within(SECONDS, "as MNIST", || Mnist::load(dir.path())).unwrap_err();
        assert!(e.to_string().contains("MARKs open at once"), "{e}");
    });
}

#[test]
fn values_over_all_containers_share_one_cap() {
    // Cause 5: 40 lists of 4.19 million Nones each, every list under a per-list cap.
    in_limited_child("values_over_all_containers_share_one_cap", GIB, || {
        let dir = TempDir::new("values");
        let path = dir.path().join("mnist.pkl.gz");
        let per_list = (1 << 22) - 2;
        let mut list = b"](".to_vec();
        list.extend(vec![b'N'; per_list]);
        list.push(b'e');
        gzip_file(&path, b"\x80\x02(", &list, 40, b"t.");
        let e = within(SECONDS, "40 lists", || load_pickle_gz(&path)).unwrap_err();
        let e = e.to_string();
        assert!(
            e.contains(&format!("more than {} values", pickle::MAX_VALUES)),
            "{e}"
        );
    });
}

#[test]
fn cheap_opcodes_are_capped() {
    // MARK POP_MARK forever makes no value at all; the opcode count ends it.
    in_limited_child("cheap_opcodes_are_capped", GIB, || {
        let dir = TempDir::new("opcodes");
        let path = dir.path().join("o.pkl.gz");
        gzip_file(&path, b"\x80\x02", b"(1", 100_000_000, b"N.");
        let e = within(SECONDS, "MARK POP_MARK", || load_pickle_gz(&path)).unwrap_err();
        let e = e.to_string();
        assert!(
            e.contains(&format!("more than {} opcodes", pickle::MAX_OPCODES)),
            "{e}"
        );
    });
}

#[test]
fn shared_values_cannot_nest_past_the_depth_limit() {
    // One list chain 150 deep, then a second chain of 150 whose innermost list holds the
    // first: each chain is shallow, the value they make is 300 deep.
    let chain = |bytes: &mut Vec<u8>, memo: u8, inner: Option<u8>| {
        bytes.push(b']');
        if let Some(i) = inner {
            bytes.extend([b'h', i, b'a']);
        }
        bytes.extend([b'q', memo]);
        for _ in 0..149 {
            bytes.extend([b']', b'h', memo, b'a', b'q', memo]);
        }
    };
    let mut bytes = b"\x80\x02".to_vec();
    chain(&mut bytes, 0, None);
    bytes.push(b'0');
    chain(&mut bytes, 1, Some(0));
    bytes.extend(b"0(h\x00h\x01t.");
    pickle_err(&bytes, &["nested deeper than 200 levels"]);
}

#[test]
fn shapes_whose_strides_overflow_are_refused() {
    // Cause 9: [0, 2^64-1, 2^64-1] holds no element, but its strides overflow.
    let dir = TempDir::new("shapes");
    let header = format!(
        r#"{{"x":{{"dtype":"F32","shape":[0,{m},{m}],"data_offsets":[0,0]}}}}"#,
        m = u64::MAX
    );
    let mut st = (header.len() as u64).to_le_bytes().to_vec();
    st.extend(header.as_bytes());
    let path = dir.file("x.safetensors", &st);
    let e = StateDict::load(&path).unwrap_err().to_string();
    assert!(
        e.contains("x.safetensors") && e.contains("tensor \"x\"") && e.contains("too large"),
        "{e}"
    );

    // The same shape as a numpy array in a pickle, and as IDX sizes.
    let mut p = b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R(K\x01(K\x00".to_vec();
    p.extend(b"\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f".repeat(2));
    p.extend(b"tcnumpy\ndtype\nU\x02f4K\x00K\x01\x87R(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89C\x00tb.");
    pickle_err(
        &p,
        &["shape [0, 9223372036854775807, 9223372036854775807] overflows"],
    );
    let idx = idx_bytes(8, &[0, u32::MAX, u32::MAX, u32::MAX], &[]);
    let path = dir.file("zero-idx4-ubyte", &idx);
    let e = load_idx(&path).unwrap_err().to_string();
    assert!(e.contains("more data than fits in memory"), "{e}");
}

#[test]
fn state_dicts_of_many_tensors_load_in_linear_time() {
    // Cause 6: 30,000 tensors with the order metadata took more than 10 s.
    in_limited_child(
        "state_dicts_of_many_tensors_load_in_linear_time",
        GIB,
        || {
            let mut sd = StateDict::new();
            for i in (0..30_000).rev() {
                sd.insert(
                    format!("t{i}"),
                    firelight::Tensor::from_vec(vec![i as f32], &[1]),
                );
            }
            let dir = TempDir::new("many-tensors");
            let path = dir.path().join("many.safetensors");
            sd.save(&path).unwrap();
            let back = within(SECONDS, "30,000 tensors", || StateDict::load(&path)).unwrap();
            assert_eq!(back.len(), 30_000);
            assert_eq!(back.keys()[..3], ["t29999", "t29998", "t29997"]);
            assert_eq!(back.get("t7").unwrap().to_vec::<f32>(), [7.0]);
        },
    );
}
