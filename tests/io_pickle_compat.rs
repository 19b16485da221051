//! The pickle reader against files real Python wrote: Python 3 + numpy 2 at protocols 2 to 5,
//! and the Python 2 layout of the tutorial's mnist.pkl.gz. The fixtures come from
//! tools/make_pickle_fixtures.py.
mod common;

use std::sync::Arc;

use common::fixture;
use firelight::io::{Array, ArrayData, PickleValue, load_pickle, load_pickle_gz};

const PROTOCOLS: [u32; 4] = [2, 3, 4, 5];

fn load(name: &str) -> PickleValue {
    let path = fixture(&format!("pickle/{name}"));
    load_pickle(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn load_err(name: &str) -> String {
    let path = fixture(&format!("pickle/{name}"));
    let e = load_pickle(&path).expect_err(name).to_string();
    assert!(e.contains(name), "error does not name the file: {e}");
    e
}

fn array(shape: &[usize], data: ArrayData) -> PickleValue {
    PickleValue::Array(
        Array {
            shape: shape.to_vec(),
            data,
        }
        .into(),
    )
}

fn entry<'a>(dict: &'a PickleValue, key: &str) -> &'a PickleValue {
    let PickleValue::Dict(entries) = dict else {
        panic!("not a dict: {dict:?}")
    };
    let found = entries
        .iter()
        .find(|(k, _)| *k == PickleValue::Str(key.into()));
    &found.unwrap_or_else(|| panic!("no key {key}")).1
}

#[test]
fn arrays_of_every_dtype_at_every_protocol() {
    for p in PROTOCOLS {
        let v = load(&format!("values_p{p}.pkl"));
        let checks = [
            (
                "f4",
                array(
                    &[2, 3],
                    ArrayData::F32(vec![0.0, 0.5, -1.25, 3.0, 1e-3, f32::INFINITY]),
                ),
            ),
            ("f8", array(&[3], ArrayData::F64(vec![1.0, -2.5, 1e300]))),
            (
                "i8",
                array(&[2, 2], ArrayData::I64(vec![-1, 0, 1 << 40, -(1 << 62)])),
            ),
            (
                "i4",
                array(&[3], ArrayData::I32(vec![-7, i32::MAX, i32::MIN])),
            ),
            (
                "u1",
                array(&[2, 3], ArrayData::U8(vec![0, 51, 102, 153, 204, 255])),
            ),
            ("b1", array(&[3], ArrayData::Bool(vec![true, false, true]))),
            ("empty", array(&[0, 3], ArrayData::F32(vec![]))),
            ("scalar", array(&[], ArrayData::F64(vec![2.5]))),
            (
                "strided",
                array(&[3, 2], ArrayData::I64(vec![0, 2, 4, 6, 8, 10])),
            ),
        ];
        for (key, want) in checks {
            assert_eq!(entry(&v, key), &want, "protocol {p}, key {key}");
        }
    }
}

#[test]
fn plain_values_at_every_protocol() {
    use PickleValue::*;
    for p in PROTOCOLS {
        let v = load(&format!("values_p{p}.pkl"));
        let ints = [0, 255, 65535, -1, 1 << 31, i64::MIN, i64::MAX];
        assert_eq!(
            entry(&v, "ints"),
            &List(Arc::new(ints.into_iter().map(Int).collect())),
            "protocol {p}"
        );
        assert_eq!(
            entry(&v, "floats"),
            &Tuple(vec![Float(0.5), Float(-1e-300)].into())
        );
        assert_eq!(entry(&v, "text"), &Str("héllo".into()));
        assert_eq!(entry(&v, "bytes"), &Bytes(vec![0, 255].into()));
        assert_eq!(entry(&v, "empty_bytes"), &Bytes(vec![].into()));
        assert_eq!(entry(&v, "bytearray"), &Bytes(vec![1, 2].into()));
        assert_eq!(entry(&v, "none"), &None);
        assert_eq!(
            entry(&v, "flags"),
            &Tuple(vec![Bool(true), Bool(false)].into())
        );
        let nested = Tuple(
            vec![
                Tuple(vec![].into()),
                List(vec![Tuple(vec![].into()), List(vec![Int(1)].into())].into()),
            ]
            .into(),
        );
        assert_eq!(entry(&v, "nested"), &nested);
        // The same list and the same array, referred to twice through the memo.
        let list = List(vec![Int(1), Int(2)].into());
        let arr = array(&[3], ArrayData::I32(vec![7, 8, 9]));
        let shared = entry(&v, "shared");
        assert_eq!(
            shared,
            &Tuple(vec![list.clone(), list, arr.clone(), arr].into())
        );
        // ... and they stay one object each, as in Python.
        let Tuple(items) = shared else { unreachable!() };
        let (List(l0), List(l1), Array(a0), Array(a1)) =
            (&items[0], &items[1], &items[2], &items[3])
        else {
            panic!("not two lists and two arrays: {shared:?}")
        };
        assert!(Arc::ptr_eq(l0, l1) && Arc::ptr_eq(a0, a1), "protocol {p}");
    }
}

#[test]
fn large_gzipped_arrays_at_every_protocol() {
    let f: Vec<f32> = (0..16500).map(|i| (i % 64) as f32 / 8.0).collect();
    let i: Vec<i64> = (0..9000).map(|i| i % 100 - 50).collect();
    let want = PickleValue::Tuple(
        vec![
            array(&[16500], ArrayData::F32(f)),
            array(&[9000], ArrayData::I64(i)),
        ]
        .into(),
    );
    for p in PROTOCOLS {
        let path = fixture(&format!("pickle/big_p{p}.pkl.gz"));
        assert_eq!(load_pickle_gz(&path).unwrap(), want, "protocol {p}");
        assert_eq!(load_pickle(&path).unwrap(), want, "protocol {p}");
    }
}

#[test]
fn tutorial_layout_written_like_python_2() {
    let pixels = [
        [[253, 253, 253], [60, 224, 252]],
        [[0, 0, 0], [45, 24, 0]],
        [[0, 0, 0], [0, 0, 122]],
    ];
    let labels = [[5, 0], [3, 8], [7, 2]];
    for name in ["tutorial_py2.pkl", "tutorial_py2.pkl.gz"] {
        let splits = load(name).into_items().expect("a tuple of splits");
        assert_eq!(splits.len(), 3);
        for (k, split) in splits.into_iter().enumerate() {
            let pair = split.into_items().expect("an (x, y) pair");
            let x: Vec<f32> = pixels[k]
                .iter()
                .flatten()
                .map(|&p: &u8| p as f32 / 256.0)
                .collect();
            assert_eq!(
                pair[0],
                array(&[2, 3], ArrayData::F32(x)),
                "{name} split {k}"
            );
            assert_eq!(
                pair[1],
                array(&[2], ArrayData::I64(labels[k].to_vec())),
                "{name} split {k}"
            );
        }
    }
}

#[test]
fn tiny_mnist_written_by_python_3() {
    let splits = load("mnist_tiny_p4.pkl.gz").into_items().unwrap();
    for split in splits {
        let pair = split.into_items().unwrap();
        let x = pair[0].clone().into_array().unwrap();
        let y = pair[1].clone().into_array().unwrap();
        assert_eq!((x.shape, y.shape), (vec![3, 784], vec![3]));
        assert!(
            x.data
                .as_f32()
                .unwrap()
                .iter()
                .all(|&v| (v * 256.0).fract() == 0.0 && v < 1.0)
        );
        assert!(
            y.data
                .as_i64()
                .unwrap()
                .iter()
                .all(|&v| (0..10).contains(&v))
        );
    }
}

#[test]
fn fortran_order_and_big_endian_are_refused() {
    for p in PROTOCOLS {
        let e = load_err(&format!("fortran_p{p}.pkl"));
        assert!(e.contains("Fortran") && e.contains("[2, 3]"), "{e}");
        let e = load_err(&format!("bigendian_p{p}.pkl"));
        assert!(e.contains("little-endian") && e.contains(">f4"), "{e}");
    }
}

#[test]
fn what_numpy_writes_for_unsupported_things_is_refused_clearly() {
    let e = load_err("npscalar_p4.pkl");
    assert!(
        e.contains("`numpy._core.multiarray.scalar`") && e.contains("not allowed"),
        "{e}"
    );
    let e = load_err("objarray_p2.pkl");
    assert!(e.contains("dtype 'O8' is not supported"), "{e}");
    let e = load_err("cycle_p2.pkl");
    assert!(e.contains("contains itself"), "{e}");
    let e = load_err("outofband_p5.pkl");
    assert!(
        e.contains("unsupported pickle opcode 0x97 (NEXT_BUFFER) at offset"),
        "{e}"
    );
}
