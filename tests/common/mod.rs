//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test file uses a different part

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

mod hostile;
#[allow(unused_imports)] // not every test crate runs children
pub use hostile::*;

/// A fresh folder under the system temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "firelight-{label}-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `bytes` to `name` inside the folder and returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write temp file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A file under tests/fixtures/.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// gzip-compresses `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}

/// An IDX file: magic 00 00 `kind` ndim, big-endian dims, then `data`.
pub fn idx_bytes(kind: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, kind, dims.len() as u8];
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(data);
    v
}

/// The tutorial's CNN as `nn::Sequential` (its chapter "nn.Sequential"): three stride-2
/// convs with ReLU, `avg_pool2d(4)`, and a view to `[batch, 10]`.
pub fn tutorial_cnn() -> firelight::nn::Sequential {
    use firelight::Tensor;
    use firelight::nn::{AvgPool2d, Conv2d, Lambda, ReLU, Sequential};
    Sequential::new()
        .add(Lambda::new(|x: &Tensor| x.view(&[-1, 1, 28, 28])))
        .add(Conv2d::new(1, 16, 3).stride(2).padding(1))
        .add(ReLU)
        .add(Conv2d::new(16, 16, 3).stride(2).padding(1))
        .add(ReLU)
        .add(Conv2d::new(16, 10, 3).stride(2).padding(1))
        .add(ReLU)
        .add(AvgPool2d::new(4))
        .add(Lambda::new(|x: &Tensor| x.view(&[x.size(0) as i64, -1])))
}
