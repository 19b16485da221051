//! `datasets::mnist::load_arrays` on small MNIST-shaped data made here, through both routes.
mod common;

use common::{TempDir, fixture, gzip, idx_bytes};
use firelight::datasets::mnist::{MnistArrays, load_arrays};
use firelight::io::{Array, ArrayData};

/// Training examples in the synthetic IDX files: just over the 10,000 kept for validation.
const N_TRAIN: usize = 10_003;
const N_TEST: usize = 4;

fn pixel(image: usize, k: usize) -> u8 {
    ((image * 7 + k * 13) % 256) as u8
}

fn images(range: std::ops::Range<usize>) -> Vec<u8> {
    range
        .flat_map(|i| (0..784).map(move |k| pixel(i, k)))
        .collect()
}

fn labels(range: std::ops::Range<usize>) -> Vec<u8> {
    range.map(|i| (i % 10) as u8).collect()
}

/// Writes the four IDX files, training files raw with the dot spelling, test files gzipped.
fn write_idx(dir: &TempDir) {
    dir.file(
        "train-images.idx3-ubyte",
        &idx_bytes(8, &[N_TRAIN as u32, 28, 28], &images(0..N_TRAIN)),
    );
    dir.file(
        "train-labels.idx1-ubyte",
        &idx_bytes(8, &[N_TRAIN as u32], &labels(0..N_TRAIN)),
    );
    let test_images = idx_bytes(8, &[N_TEST as u32, 28, 28], &images(100..100 + N_TEST));
    dir.file("t10k-images-idx3-ubyte.gz", &gzip(&test_images));
    dir.file(
        "t10k-labels-idx1-ubyte.gz",
        &gzip(&idx_bytes(8, &[N_TEST as u32], &labels(100..100 + N_TEST))),
    );
}

fn x(pixels: &[u8]) -> Array {
    let data = pixels.iter().map(|&p| p as f32 / 256.0).collect();
    Array {
        shape: vec![pixels.len() / 784, 784],
        data: ArrayData::F32(data),
    }
}

fn y(digits: &[u8]) -> Array {
    Array {
        shape: vec![digits.len()],
        data: ArrayData::I64(digits.iter().map(|&d| d.into()).collect()),
    }
}

fn expected() -> MnistArrays {
    let split = N_TRAIN - 10_000;
    MnistArrays {
        x_train: x(&images(0..split)),
        y_train: y(&labels(0..split)),
        x_valid: x(&images(split..N_TRAIN)),
        y_valid: y(&labels(split..N_TRAIN)),
        x_test: x(&images(100..100 + N_TEST)),
        y_test: y(&labels(100..100 + N_TEST)),
    }
}

/// A pickle in the layout of the tutorial's Python 2 file (GLOBAL, BINSTRING payloads),
/// without its memo sharing.
fn py2_pickle(m: &MnistArrays) -> Vec<u8> {
    fn string(out: &mut Vec<u8>, b: &[u8]) {
        if b.len() < 256 {
            out.extend([b'U', b.len() as u8]);
        } else {
            out.push(b'T');
            out.extend((b.len() as i32).to_le_bytes());
        }
        out.extend(b);
    }
    fn int(out: &mut Vec<u8>, n: usize) {
        out.push(b'J');
        out.extend((n as i32).to_le_bytes());
    }
    fn array(out: &mut Vec<u8>, a: &Array) {
        out.extend(b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85");
        string(out, b"b");
        out.extend(b"\x87R(K\x01(");
        for &d in &a.shape {
            int(out, d);
        }
        out.extend(b"tcnumpy\ndtype\n");
        let (code, bytes): (&[u8], Vec<u8>) = match &a.data {
            ArrayData::F32(v) => (b"f4", v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            ArrayData::I64(v) => (b"i8", v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            _ => unreachable!(),
        };
        string(out, code);
        out.extend(b"K\x00K\x01\x87R(K\x03");
        string(out, b"<");
        out.extend(b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89");
        string(out, &bytes);
        out.extend(b"tb");
    }
    let mut out = b"\x80\x02".to_vec();
    for (xs, ys) in [
        (&m.x_train, &m.y_train),
        (&m.x_valid, &m.y_valid),
        (&m.x_test, &m.y_test),
    ] {
        array(&mut out, xs);
        array(&mut out, ys);
        out.push(0x86);
    }
    out.extend(b"\x87.");
    out
}

#[test]
fn idx_route_gives_the_tutorial_split_and_scaling() {
    let dir = TempDir::new("mnist-idx");
    write_idx(&dir);
    assert_eq!(load_arrays(dir.path()).unwrap(), expected());
}

#[test]
fn pickle_route_gives_the_same_arrays_and_is_preferred() {
    let dir = TempDir::new("mnist-both");
    write_idx(&dir);
    let want = expected();
    // Different data in the pickle than in the IDX files shows which one was read.
    let mut in_pickle = want.clone();
    in_pickle.y_test = y(&[9, 9, 9, 9]);
    dir.file("mnist.pkl.gz", &gzip(&py2_pickle(&in_pickle)));
    assert_eq!(load_arrays(dir.path()).unwrap(), in_pickle);
    std::fs::remove_file(dir.path().join("mnist.pkl.gz")).unwrap();
    assert_eq!(load_arrays(dir.path()).unwrap(), want);
}

#[test]
fn pickle_written_by_python_3() {
    let dir = TempDir::new("mnist-p4");
    std::fs::copy(
        fixture("pickle/mnist_tiny_p4.pkl.gz"),
        dir.path().join("mnist.pkl.gz"),
    )
    .unwrap();
    let m = load_arrays(dir.path()).unwrap();
    assert_eq!(m.x_valid.shape, [3, 784]);
    assert_eq!(m.y_test.shape, [3]);
}

#[test]
fn pickle_of_the_wrong_shape_names_the_file() {
    let dir = TempDir::new("mnist-shape");
    // Right layout, but 3 pixels per image instead of 784.
    std::fs::copy(
        fixture("pickle/tutorial_py2.pkl.gz"),
        dir.path().join("mnist.pkl.gz"),
    )
    .unwrap();
    let e = load_arrays(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("mnist.pkl.gz") && e.contains("x_train should be float32 of shape [N, 784]"),
        "{e}"
    );
    assert!(e.contains("[2, 3]"), "{e}");
}

#[test]
fn missing_data_lists_what_was_looked_for_and_where() {
    let dir = TempDir::new("mnist-empty");
    let e = load_arrays(dir.path()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
    for name in [
        "mnist.pkl.gz",
        "train-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ] {
        assert!(msg.contains(name), "{msg}");
    }
    assert!(
        matches!(e, firelight::Error::Io { ref source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    );

    dir.file(
        "train-images-idx3-ubyte",
        &idx_bytes(8, &[1, 28, 28], &[0; 784]),
    );
    let msg = load_arrays(dir.path()).unwrap_err().to_string();
    assert!(
        msg.contains("missing: train-labels-idx1-ubyte[.gz], t10k-images"),
        "{msg}"
    );
}

#[test]
fn inconsistent_idx_files_name_the_file_at_fault() {
    let check = |name: &str, bytes: Vec<u8>, want: &str| {
        let dir = TempDir::new("mnist-bad");
        write_idx(&dir);
        let path = dir.file(name, &bytes);
        let msg = load_arrays(dir.path()).unwrap_err().to_string();
        assert!(
            msg.contains(&path.display().to_string()) && msg.contains(want),
            "{msg}"
        );
    };
    let n = N_TRAIN as u32;
    check(
        "train-labels.idx1-ubyte",
        idx_bytes(8, &[n - 1], &labels(1..N_TRAIN)),
        "has 10002 labels but",
    );
    let mut bad = labels(0..N_TRAIN);
    bad[17] = 12;
    check(
        "train-labels.idx1-ubyte",
        idx_bytes(8, &[n], &bad),
        "label 17 is 12",
    );
    check(
        "t10k-images-idx3-ubyte.gz",
        gzip(&idx_bytes(8, &[4, 27, 28], &[0; 4 * 27 * 28])),
        "[N, 28, 28]",
    );
    check(
        "t10k-labels-idx1-ubyte.gz",
        gzip(&idx_bytes(0x0C, &[4], &[0; 16])),
        "should be uint8",
    );
    check(
        "train-labels.idx1-ubyte",
        idx_bytes(8, &[10_000], &[1; 10_000]),
        "has 10000 labels but",
    );
}

#[test]
fn too_few_training_examples_for_the_split() {
    let dir = TempDir::new("mnist-few");
    write_idx(&dir);
    dir.file(
        "train-images.idx3-ubyte",
        &idx_bytes(8, &[10_000, 28, 28], &images(0..10_000)),
    );
    let path = dir.file(
        "train-labels.idx1-ubyte",
        &idx_bytes(8, &[10_000], &labels(0..10_000)),
    );
    let msg = load_arrays(dir.path()).unwrap_err().to_string();
    assert!(
        msg.contains(&path.display().to_string()) && msg.contains("needs more than 10000"),
        "{msg}"
    );
}
