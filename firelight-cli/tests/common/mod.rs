//! Helpers shared by the CLI tests: the built binary, and small MNIST-shaped data sets.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

#[path = "../../../tests/common/hostile.rs"]
mod hostile;
#[allow(unused_imports)] // not every test crate runs children
pub use hostile::*;

/// 1 GiB, in the MiB that `run_limited` takes: what a hostile file may cost a command.
pub const GIB: u64 = 1024;

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

/// `firelight args` with its memory limited to 1 GiB: asserts that it fails with one
/// `error:` line within 2 seconds (a hostile file's budget), and returns that line.
pub fn fails_within_limits(args: &[&str]) -> String {
    let mut cmd = firelight();
    cmd.args(args);
    let run = run_limited(&cmd, GIB, Duration::from_secs(60));
    let what = format!("firelight {}", args.join(" "));
    eprintln!("{what}: {:?}", run.elapsed);
    let status = run
        .status
        .unwrap_or_else(|| panic!("{what}: still running after 60 s"));
    assert!(
        run.elapsed < Duration::from_secs(2),
        "{what} took {:?}",
        run.elapsed
    );
    assert!(run.signal().is_none(), "{what} crashed:\n{}", run.output());
    one_line_error(&Output {
        status,
        stdout: run.stdout.into_bytes(),
        stderr: run.stderr.into_bytes(),
    })
}

/// The CRC-32 of PNG chunks (and gzip), bit by bit: files patched by tests and the fuzzer
/// must still pass the decoder's checksum to reach what they test.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn write_idx(path: &Path, magic: u32, dims: &[u32], data: &[u8]) {
    let mut bytes = magic.to_be_bytes().to_vec();
    for d in dims {
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend(data);
    std::fs::write(path, bytes).unwrap();
}

/// Digits 0-9 in a 3x5 bitmap font, one row of three bits per line (also how the tests read
/// the labels back from `data --show`'s grid, which draws them in the same font).
pub const FONT: [[u8; 5]; 10] = [
    [0b111, 0b101, 0b101, 0b101, 0b111],
    [0b010, 0b110, 0b010, 0b010, 0b111],
    [0b111, 0b001, 0b111, 0b100, 0b111],
    [0b111, 0b001, 0b111, 0b001, 0b111],
    [0b101, 0b101, 0b111, 0b001, 0b001],
    [0b111, 0b100, 0b111, 0b001, 0b111],
    [0b111, 0b100, 0b111, 0b101, 0b111],
    [0b111, 0b001, 0b010, 0b010, 0b010],
    [0b111, 0b101, 0b111, 0b101, 0b111],
    [0b111, 0b101, 0b111, 0b001, 0b111],
];

/// A digit-like picture: digit `d` in the bitmap font, 4x (12x20 pixels, MNIST's 20-pixel
/// height), bright ink on black, placed with its centre of mass at (14, 14) as MNIST's
/// digits are, with varying ink and faint noise. `predict`'s preparation of such a picture
/// gives it back, so a model trained on these must recognise `data --show` pictures.
pub fn picture(d: u8, i: usize) -> Vec<u8> {
    let mut glyph = vec![0u8; 20 * 12];
    for (r, bits) in FONT[d as usize].iter().enumerate() {
        for c in 0..3 {
            if bits >> (2 - c) & 1 == 1 {
                for y in 0..4 {
                    for x in 0..4 {
                        glyph[(r * 4 + y) * 12 + c * 4 + x] =
                            150 + ((i * 7 + y * 3 + x) % 100) as u8;
                    }
                }
            }
        }
    }
    let mass: f64 = glyph.iter().map(|&v| f64::from(v)).sum();
    let cx: f64 = (0..240)
        .map(|k| f64::from(glyph[k]) * (k % 12) as f64)
        .sum::<f64>()
        / mass;
    let cy: f64 = (0..240)
        .map(|k| f64::from(glyph[k]) * (k / 12) as f64)
        .sum::<f64>()
        / mass;
    let (ox, oy) = ((14.0 - cx).round() as usize, (14.0 - cy).round() as usize);
    let mut px = vec![0u8; 784];
    for y in 0..20 {
        for x in 0..12 {
            px[(oy + y) * 28 + ox + x] = glyph[y * 12 + x];
        }
    }
    for (k, p) in px.iter_mut().enumerate() {
        if *p == 0 && (k * 31 + i * 17).is_multiple_of(13) {
            *p = ((k + i) % 20) as u8;
        }
    }
    px
}

/// The four IDX files for `train` training images (more than 10,000: the library takes the
/// last 10,000 for validation, so `train - 10,000` are left to train on) and `test` test images.
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

/// `firelight fit --model logistic --json` for `epochs` on the first `limit` training
/// images of `data`, into the run folder `run`, plus `extra` flags: the quick training
/// most tests start from. Returns stdout.
pub fn fit_logistic(data: &Path, run: &Path, epochs: &str, limit: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "fit",
        "--model",
        "logistic",
        "--epochs",
        epochs,
        "--limit",
        limit,
        "--data",
        s(data),
        "--out",
        s(run),
        "--json",
    ];
    args.extend_from_slice(extra);
    ok(&args)
}
