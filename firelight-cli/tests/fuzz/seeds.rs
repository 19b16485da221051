//! The valid files mutants start from: pickles real Python wrote (the library's fixtures),
//! IDX files, the checkpoints and training states of real `firelight fit` runs, and PNG and
//! JPEG pictures of each colour layout the decoders take.
use std::path::{Path, PathBuf};

use firelight::nn::StateDict;

use crate::bytes::gunzip;
use crate::common::{firelight, picture, s};

/// A finished one-epoch run, for `--resume` and `predict` mutants.
pub struct Run {
    /// The run folder.
    pub dir: PathBuf,
    /// Its `config.json`, `metrics.jsonl`, `train_state.safetensors` and
    /// `model.safetensors`, the last two also as state dicts.
    pub config: Vec<u8>,
    pub metrics: Vec<u8>,
    pub state: Vec<u8>,
    pub state_dict: StateDict,
    pub model: Vec<u8>,
    pub model_dict: StateDict,
}

/// Every target's seeds.
pub struct Seeds {
    /// Uncompressed pickles of every protocol, dtype and layout the fixtures hold.
    pub pickles: Vec<Vec<u8>>,
    /// Uncompressed pickles in the tutorial's MNIST layout.
    pub mnist: Vec<Vec<u8>>,
    /// IDX files of every element type.
    pub idx: Vec<Vec<u8>>,
    /// One-epoch runs of each model and optimizer.
    pub runs: Vec<Run>,
    /// The folder of a tiny MNIST the runs trained on, for `eval` and `--resume`.
    pub data: PathBuf,
    /// PNGs of each colour type: grey at 1, 8 and 16 bits, grey and alpha, RGB, RGBA,
    /// a 4-bit palette with transparency.
    pub png: Vec<Vec<u8>>,
    /// JPEGs: grey, RGB (baseline, progressive, 4:2:0), restart markers, CMYK.
    pub jpeg: Vec<Vec<u8>>,
}

impl Seeds {
    /// Reads the fixtures and makes the rest in `work` (the runs train for a moment).
    pub fn build(work: &Path) -> Seeds {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pickle");
        let mut pickles = Vec::new();
        let mut names: Vec<PathBuf> = std::fs::read_dir(&fixtures)
            .expect("the pickle fixtures")
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for path in &names {
            let bytes = std::fs::read(path).unwrap();
            pickles.push(if bytes.starts_with(&[0x1f, 0x8b]) {
                gunzip(&bytes)
            } else {
                bytes
            });
        }
        let tiny_mnist = std::fs::read(fixtures.join("mnist_tiny_p4.pkl.gz")).unwrap();
        let mnist = vec![
            std::fs::read(fixtures.join("tutorial_py2.pkl")).unwrap(),
            gunzip(&tiny_mnist),
        ];

        let data = work.join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("mnist.pkl.gz"), &tiny_mnist).unwrap();
        let runs = [
            ("logistic-sgd", &["--model", "logistic"][..]),
            ("cnn-sgd-momentum", &["--model", "cnn"]),
            ("mlp-adam", &["--model", "mlp", "--optimizer", "adam"]),
            (
                "logistic-adamw",
                &["--model", "logistic", "--optimizer", "adamw"],
            ),
        ]
        .into_iter()
        .map(|(name, flags)| fit(work, &data, name, flags))
        .collect();

        Seeds {
            pickles,
            mnist,
            idx: idx_seeds(),
            runs,
            data,
            png: png_seeds(),
            jpeg: jpeg_seeds(),
        }
    }
}

/// `firelight fit` for one epoch on the tiny data set.
fn fit(work: &Path, data: &Path, name: &str, flags: &[&str]) -> Run {
    let dir = work.join("runs").join(name);
    let out = firelight()
        .arg("fit")
        .args(flags)
        .args([
            "--epochs",
            "1",
            "--json",
            "--data",
            s(data),
            "--out",
            s(&dir),
        ])
        .output()
        .expect("run firelight fit");
    assert!(
        out.status.success(),
        "seed run {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    Run {
        config: read("config.json"),
        metrics: read("metrics.jsonl"),
        state: read("train_state.safetensors"),
        state_dict: StateDict::load(dir.join("train_state.safetensors")).unwrap(),
        model: read("model.safetensors"),
        model_dict: StateDict::load(dir.join("model.safetensors")).unwrap(),
        dir,
    }
}

/// An IDX file: magic `00 00 kind ndim`, big-endian sizes, then `data`.
fn idx_bytes(kind: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, kind, dims.len() as u8];
    dims.iter().for_each(|d| v.extend(d.to_be_bytes()));
    v.extend(data);
    v
}

fn idx_seeds() -> Vec<Vec<u8>> {
    let images: Vec<u8> = (0..3).flat_map(|i| picture(i as u8, i)).collect();
    vec![
        idx_bytes(0x08, &[3, 28, 28], &images),
        idx_bytes(0x08, &[3], &[3, 1, 4]),
        idx_bytes(0x09, &[5], &[0x80, 0xff, 0, 1, 0x7f]),
        idx_bytes(0x0B, &[2, 3], &[0xff; 12]),
        idx_bytes(
            0x0C,
            &[4],
            &(0..4i32).flat_map(|v| v.to_be_bytes()).collect::<Vec<_>>(),
        ),
        idx_bytes(0x0D, &[2, 2], &[0x3f, 0x80, 0, 0].repeat(4)),
        idx_bytes(0x0E, &[3], &1.5f64.to_be_bytes().repeat(3)),
    ]
}

/// A digit, bright on dark, `w` x `h`, as `channels` bytes per pixel.
fn digit(w: usize, h: usize, channels: usize) -> Vec<u8> {
    let small = picture(7, 3);
    (0..w * h)
        .flat_map(|i| {
            let (x, y) = (i % w * 28 / w, i / w * 28 / h);
            let v = small[y * 28 + x];
            (0..channels).map(move |c| if c == 3 { 255 } else { v })
        })
        .collect()
}

fn png_seeds() -> Vec<Vec<u8>> {
    use png::{BitDepth as B, ColorType as C};
    let encode =
        |w: u32, h: u32, color: C, depth: B, data: &[u8], palette: Option<(&[u8], &[u8])>| {
            let mut bytes = Vec::new();
            let mut enc = png::Encoder::new(&mut bytes, w, h);
            enc.set_color(color);
            enc.set_depth(depth);
            if let Some((plte, trns)) = palette {
                enc.set_palette(plte.to_vec());
                enc.set_trns(trns.to_vec());
            }
            enc.write_header().unwrap().write_image_data(data).unwrap();
            bytes
        };
    let gray = digit(28, 28, 1);
    let gray16: Vec<u8> = gray.iter().flat_map(|&v| [v, v]).collect();
    let gray_alpha: Vec<u8> = gray.iter().flat_map(|&v| [v, 200]).collect();
    let indexed: Vec<u8> = gray.iter().map(|&v| v / 16).collect();
    let indexed4: Vec<u8> = indexed.chunks(2).map(|p| p[0] << 4 | p[1]).collect();
    let plte: Vec<u8> = (0..16u8).flat_map(|i| [i * 17, i * 17, i * 17]).collect();
    let bits: Vec<u8> = gray
        .chunks(8)
        .map(|c| c.iter().fold(0, |acc, &v| acc << 1 | u8::from(v > 100)))
        .collect();
    vec![
        encode(28, 28, C::Grayscale, B::Eight, &gray, None),
        encode(28, 28, C::Grayscale, B::Sixteen, &gray16, None),
        encode(28, 28, C::GrayscaleAlpha, B::Eight, &gray_alpha, None),
        encode(40, 30, C::Rgb, B::Eight, &digit(40, 30, 3), None),
        encode(28, 28, C::Rgba, B::Eight, &digit(28, 28, 4), None),
        encode(
            28,
            28,
            C::Indexed,
            B::Four,
            &indexed4,
            Some((&plte, &[0, 255, 128])),
        ),
        encode(
            224,
            28,
            C::Grayscale,
            B::One,
            &bits.repeat(8)[..224 * 28 / 8],
            None,
        ),
    ]
}

fn jpeg_seeds() -> Vec<Vec<u8>> {
    use jpeg_encoder::{ColorType as C, Encoder, SamplingFactor};
    let encode =
        |w: u16, h: u16, color: C, channels: usize, set: &dyn Fn(&mut Encoder<&mut Vec<u8>>)| {
            let mut bytes = Vec::new();
            let mut enc = Encoder::new(&mut bytes, 85);
            set(&mut enc);
            enc.encode(&digit(w.into(), h.into(), channels), w, h, color)
                .unwrap();
            bytes
        };
    vec![
        encode(28, 28, C::Luma, 1, &|_| {}),
        encode(40, 30, C::Rgb, 3, &|_| {}),
        encode(40, 30, C::Rgb, 3, &|e| e.set_progressive(true)),
        encode(40, 30, C::Rgb, 3, &|e| {
            e.set_sampling_factor(SamplingFactor::R_4_2_0)
        }),
        encode(32, 32, C::Luma, 1, &|e| e.set_restart_interval(2)),
        encode(16, 16, C::Cmyk, 4, &|_| {}),
    ]
}
