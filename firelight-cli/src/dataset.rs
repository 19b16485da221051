//! Finding MNIST: `--data DIR`, or the default folder (the repository's `data/mnist`, or
//! `$FIRELIGHT_DATA`), downloading the tutorial's file into the default folder when missing.
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use firelight::datasets::{Mnist, mnist};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use crate::error::{Result, io_err};
use crate::fail;

/// The file the tutorial downloads, and its sha256 (of `../shared/data/mnist/mnist.pkl.gz`).
pub const URL: &str = "https://github.com/pytorch/tutorials/raw/main/_static/mnist.pkl.gz";
pub const SHA256: &str = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416";
const BYTES: u64 = 17_051_982;
const PICKLE: &str = "mnist.pkl.gz";
const IDX_NAMES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// MNIST with where it came from.
pub struct Loaded {
    pub mnist: Mnist,
    pub dir: PathBuf,
    /// True for the four IDX files, whose validation split is cut from the training file.
    pub idx: bool,
}

/// Loads from `dir` if given (never downloading into a user's folder), else from the
/// default folder, downloading the tutorial's file there if neither layout is present.
pub fn load(dir: Option<&Path>, quiet: bool) -> Result<Loaded> {
    let dir = match dir {
        Some(d) => {
            check_user_dir(d)?;
            d.to_path_buf()
        }
        None => {
            let d = mnist::data_dir();
            if !has_pickle(&d) && !has_idx(&d) {
                download(&d, quiet)?;
            }
            d
        }
    };
    let idx = !has_pickle(&dir);
    let mnist = Mnist::load(&dir).map_err(|e| fail!("{e}"))?;
    Ok(Loaded { mnist, dir, idx })
}

fn check_user_dir(d: &Path) -> Result<()> {
    if !d.exists() {
        return Err(fail!("data folder {} does not exist", d.display()));
    }
    if !d.is_dir() {
        return Err(fail!(
            "--data wants a folder holding {PICKLE} or the four MNIST IDX files, and {} is a file",
            d.display()
        ));
    }
    let empty = std::fs::read_dir(d)
        .map_err(|e| io_err("read", d, e))?
        .next()
        .is_none();
    if empty {
        return Err(fail!(
            "data folder {} is empty: put {PICKLE} or the four MNIST IDX files ({}[.gz]) in it",
            d.display(),
            IDX_NAMES.join(", ")
        ));
    }
    Ok(())
}

fn has_pickle(d: &Path) -> bool {
    d.join(PICKLE).is_file()
}

fn has_idx(d: &Path) -> bool {
    IDX_NAMES.iter().all(|n| {
        let dotted = n.replace("-idx", ".idx");
        [
            n.to_string(),
            format!("{n}.gz"),
            dotted.clone(),
            format!("{dotted}.gz"),
        ]
        .iter()
        .any(|f| d.join(f).is_file())
    })
}

/// Downloads with `curl`, which keeps TLS and HTTP out of this crate's build, drawing our
/// own progress bar from the growing file so that a failure stays one line (curl's message
/// goes into ours); then checks the sha256 before moving the file into place.
fn download(dir: &Path, quiet: bool) -> Result<()> {
    let url = std::env::var("FIRELIGHT_MNIST_URL").unwrap_or_else(|_| URL.to_string());
    let target = dir.join(PICKLE);
    let offline = |why: &str| {
        fail!(
            "MNIST is not in {} and could not be downloaded from {url} ({why}); put {PICKLE} \
             (or the four IDX files) there, or pass --data DIR",
            dir.display()
        )
    };
    std::fs::create_dir_all(dir).map_err(|e| io_err("create the data folder", dir, e))?;
    let partial = dir.join(format!(".{PICKLE}.part-{}", std::process::id()));
    let mut child = Command::new("curl")
        .args([
            "--fail",
            "--location",
            "--connect-timeout",
            "20",
            "--silent",
            "--show-error",
        ])
        .arg("--output")
        .arg(&partial)
        .arg(&url)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| offline(&format!("curl: {e}")))?;
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(BYTES);
        bar.set_style(
            ProgressStyle::with_template(
                "downloading mnist.pkl.gz [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(_) => break None,
        }
        if let Some(bar) = &bar {
            bar.set_position(std::fs::metadata(&partial).map_or(0, |m| m.len()));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut curl_says = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut curl_says);
    }
    if !status.is_some_and(|s| s.success()) {
        let _ = std::fs::remove_file(&partial);
        let why = curl_says
            .lines()
            .last()
            .unwrap_or("curl failed")
            .trim()
            .to_string();
        return Err(offline(&why));
    }
    let got = sha256_file(&partial)?;
    if got != SHA256 {
        let _ = std::fs::remove_file(&partial);
        return Err(fail!(
            "the file downloaded from {url} has sha256 {got}, expected {SHA256}; put the \
             tutorial's {PICKLE} in {} by hand",
            dir.display()
        ));
    }
    std::fs::rename(&partial, &target).map_err(|e| io_err("move into place", &target, e))?;
    if !quiet {
        eprintln!("downloaded {} (sha256 checked)", target.display());
    }
    Ok(())
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| io_err("read", path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| io_err("read", path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The first `limit` rows of a split (all when `None`).
pub fn head(t: &firelight::Tensor, limit: Option<u64>) -> firelight::Tensor {
    match limit {
        Some(n) if (n as usize) < t.shape()[0] => t.slice(0, 0..n as usize),
        _ => t.clone(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha256_of_abc() {
        let p = std::env::temp_dir().join(format!("fl-sha-{}", std::process::id()));
        std::fs::write(&p, b"abc").unwrap();
        let h = super::sha256_file(&p).unwrap();
        std::fs::remove_file(&p).unwrap();
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
