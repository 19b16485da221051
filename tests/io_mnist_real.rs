//! The real MNIST files, when present: both routes (mnist.pkl.gz and the IDX files) must give
//! identical arrays with the known shapes and label counts.
//!
//! Run with `FIRELIGHT_DATA=/path/to/data/mnist cargo test --release --test io_mnist_real`;
//! without data it prints that it skipped.
mod common;

use std::path::{Path, PathBuf};

use common::TempDir;
use firelight::datasets::mnist::{MnistArrays, data_dir, load_arrays};
use firelight::io::Array;

/// Label counts for digits 0 to 9, from the data README.
const TRAIN_HISTOGRAM: [usize; 10] = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_HISTOGRAM: [usize; 10] = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

const IDX_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// The IDX files of `dir` under any accepted spelling, if all four are there.
fn idx_files(dir: &Path) -> Option<Vec<PathBuf>> {
    IDX_FILES
        .iter()
        .map(|name| {
            let dotted = name.replace("-idx", ".idx");
            [
                name.to_string(),
                format!("{name}.gz"),
                dotted.clone(),
                format!("{dotted}.gz"),
            ]
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
        })
        .collect()
}

/// Links (or copies) the IDX files into a folder without mnist.pkl.gz, so that
/// `load_arrays` takes the IDX route.
fn idx_only_dir(files: &[PathBuf]) -> TempDir {
    let tmp = TempDir::new("mnist-real-idx");
    for f in files {
        let to = tmp.path().join(f.file_name().unwrap());
        #[cfg(unix)]
        std::os::unix::fs::symlink(f, &to).unwrap();
        #[cfg(not(unix))]
        std::fs::copy(f, &to).unwrap();
    }
    tmp
}

fn histogram(labels: &[&Array]) -> [usize; 10] {
    let mut h = [0; 10];
    for a in labels {
        for &d in a.data.as_i64().expect("labels are i64") {
            h[d as usize] += 1;
        }
    }
    h
}

fn check(route: &str, m: &MnistArrays) {
    let shapes = [
        (&m.x_train, vec![50_000, 784]),
        (&m.y_train, vec![50_000]),
        (&m.x_valid, vec![10_000, 784]),
        (&m.y_valid, vec![10_000]),
        (&m.x_test, vec![10_000, 784]),
        (&m.y_test, vec![10_000]),
    ];
    for (a, shape) in shapes {
        assert_eq!(a.shape, shape, "{route}");
    }
    assert_eq!(
        histogram(&[&m.y_train, &m.y_valid]),
        TRAIN_HISTOGRAM,
        "{route}"
    );
    assert_eq!(histogram(&[&m.y_test]), TEST_HISTOGRAM, "{route}");
    for x in [&m.x_train, &m.x_valid, &m.x_test] {
        let px = x.data.as_f32().expect("images are f32");
        assert!(
            px.iter()
                .all(|&p| (0.0..=255.0 / 256.0).contains(&p) && (p * 256.0).fract() == 0.0)
        );
    }
    for x in [&m.x_train, &m.x_test] {
        let px = x.data.as_f32().unwrap();
        let (lo, hi) = px
            .iter()
            .fold((1.0f32, 0.0f32), |(lo, hi), &p| (lo.min(p), hi.max(p)));
        assert_eq!(
            (lo, hi),
            (0.0, 255.0 / 256.0),
            "{route}: pixels span 0..255"
        );
    }
}

#[test]
fn both_routes_give_identical_arrays() {
    let dir = data_dir();
    let pickle = dir.join("mnist.pkl.gz");
    let idx = idx_files(&dir);
    if !pickle.is_file() && idx.is_none() {
        println!(
            "skipped: no MNIST data in {} (set FIRELIGHT_DATA)",
            dir.display()
        );
        return;
    }

    let from_pickle = pickle
        .is_file()
        .then(|| load_arrays(&dir).expect("pickle route"));
    let from_idx = idx.map(|files| load_arrays(idx_only_dir(&files).path()).expect("IDX route"));
    if let Some(m) = &from_pickle {
        check("mnist.pkl.gz", m);
    } else {
        println!("skipped the pickle route: no {}", pickle.display());
    }
    if let Some(m) = &from_idx {
        check("IDX files", m);
    } else {
        println!(
            "skipped the IDX route: not all four IDX files are in {}",
            dir.display()
        );
    }
    if let (Some(p), Some(i)) = (&from_pickle, &from_idx) {
        for (name, a, b) in [
            ("x_train", &p.x_train, &i.x_train),
            ("y_train", &p.y_train, &i.y_train),
            ("x_valid", &p.x_valid, &i.x_valid),
            ("y_valid", &p.y_valid, &i.y_valid),
            ("x_test", &p.x_test, &i.x_test),
            ("y_test", &p.y_test, &i.y_test),
        ] {
            assert!(
                a == b,
                "{name} differs between mnist.pkl.gz and the IDX files"
            );
        }
    }
}
