//! Helpers shared by the CLI tests: the built binary, and small MNIST-shaped data sets.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn firelight() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_firelight"));
    // Tests must never reach the network or the repository's data by accident.
    c.env("FIRELIGHT_MNIST_URL", "file:///nonexistent/mnist.pkl.gz");
    c.env_remove("FIRELIGHT_DATA");
    c
}

pub fn run(args: &[&str]) -> Output {
    firelight().args(args).output().expect("runs the binary")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Asserts success and returns stdout.
pub fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "firelight {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    stdout(&o)
}

/// Asserts a failure reported as exactly one `error: ` line on stderr with no panic trace,
/// and returns that line.
pub fn one_line_error(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success(),
        "expected failure, stdout: {}",
        stdout(o)
    );
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    lines[0].to_string()
}

pub fn fails(args: &[&str]) -> String {
    one_line_error(&run(args))
}

fn write_idx(path: &Path, magic: u32, dims: &[u32], data: &[u8]) {
    let mut bytes = magic.to_be_bytes().to_vec();
    for d in dims {
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend(data);
    std::fs::write(path, bytes).unwrap();
}

/// A digit-like picture whose class is easy to learn: label `d` draws a bright block whose
/// position depends on `d`, plus faint deterministic noise.
fn picture(d: u8, i: usize) -> Vec<u8> {
    let mut px = vec![0u8; 784];
    let (row, col) = (4 + 2 * (d as usize % 5) * 2, if d < 5 { 6 } else { 16 });
    for y in row..row + 6 {
        for x in col..col + 6 {
            px[y * 28 + x] = 200 + ((i * 7 + y * 3 + x) % 55) as u8;
        }
    }
    for (k, p) in px.iter_mut().enumerate() {
        if *p == 0 && (k * 31 + i * 17) % 13 == 0 {
            *p = ((k + i) % 40) as u8;
        }
    }
    px
}

/// The four IDX files for `train` training images (more than 10,000: the library takes the
/// last 10,000 for validation) and `test` test images.
pub fn idx_dir(root: &Path, train: usize, test: usize) -> PathBuf {
    let dir = root.join("idx");
    std::fs::create_dir_all(&dir).unwrap();
    for (prefix, n, seed) in [("train", train, 0usize), ("t10k", test, 7)] {
        let labels: Vec<u8> = (0..n).map(|i| ((i * 7 + seed) % 10) as u8).collect();
        let images: Vec<u8> = labels
            .iter()
            .enumerate()
            .flat_map(|(i, &d)| picture(d, i))
            .collect();
        write_idx(
            &dir.join(format!("{prefix}-images-idx3-ubyte")),
            0x803,
            &[n as u32, 28, 28],
            &images,
        );
        write_idx(
            &dir.join(format!("{prefix}-labels-idx1-ubyte")),
            0x801,
            &[n as u32],
            &labels,
        );
    }
    dir
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
