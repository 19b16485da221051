//! Hostile run folders and pictures through the command (issue 11's reproducers for the
//! CLI): each ends with one `error:` line within 2 seconds and 1 GiB, never a panic, an
//! abort or a huge allocation; and interrupted runs leave folders that can be resumed.
mod common;
use common::*;

use std::path::{Path, PathBuf};

use firelight::Tensor;
use firelight::nn::StateDict;

/// A run folder with one finished epoch of the logistic model (and its data folder).
fn one_epoch_run(root: &Path) -> (PathBuf, PathBuf) {
    let data = idx_dir(root, 10_010, 10);
    let run = root.join("run");
    fit_logistic(&data, &run, "1", "64", &[]);
    (data, run)
}

/// Rewrites the run's training state, replacing the tensor `name`.
fn replace_in_train_state(run: &Path, name: &str, t: Tensor) {
    let path = run.join("train_state.safetensors");
    let mut sd = StateDict::load(&path).unwrap();
    assert!(sd.get(name).is_some(), "the training state has {name}");
    sd.insert(name, t);
    sd.save(&path).unwrap();
}

#[test]
fn resume_refuses_empty_scalars_in_the_training_state() {
    // Issue 11, cause 8: an empty `epoch` or `optimizer_scalar.*` tensor was indexed.
    let tmp = tempfile::tempdir().unwrap();
    let (_data, run) = one_epoch_run(tmp.path());
    let original = std::fs::read(run.join("train_state.safetensors")).unwrap();
    for name in ["epoch", "optimizer_scalar.param_groups.0.lr"] {
        replace_in_train_state(&run, name, Tensor::from_vec(Vec::<f64>::new(), &[0]));
        let line = fails_within_limits(&["fit", "--resume", s(&run), "--epochs", "2"]);
        assert!(
            line.contains("train_state.safetensors")
                && line.contains(&format!("tensor \"{name}\" should hold one number"))
                && line.contains("[0]"),
            "{line}"
        );
        std::fs::write(run.join("train_state.safetensors"), &original).unwrap();
    }
    // One number of another dtype is still one number.
    replace_in_train_state(&run, "epoch", Tensor::from_vec(vec![1.0f32], &[1]));
    let out = ok(&["fit", "--resume", s(&run), "--epochs", "2", "--json"]);
    assert_eq!(out.lines().count(), 1, "epoch 2 only: {out}");
}

#[test]
fn resume_refuses_optimizer_states_a_step_could_not_use() {
    // Cause 7 through the command: amsgrad switched on after the first step.
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 10_010, 10);
    let run = tmp.path().join("run");
    fit_logistic(&data, &run, "1", "64", &["--optimizer", "adam"]);
    let amsgrad = "optimizer_scalar.param_groups.0.amsgrad";
    replace_in_train_state(&run, amsgrad, Tensor::from_vec(vec![1.0f64], &[1]));
    let line = fails_within_limits(&["fit", "--resume", s(&run), "--epochs", "2"]);
    assert!(
        line.contains("train_state.safetensors")
            && line.contains("amsgrad is on but the state has no \"max_exp_avg_sq\""),
        "{line}"
    );
}

#[test]
fn checkpoint_shapes_whose_strides_overflow_are_refused() {
    // Cause 9 through `eval --checkpoint`.
    let tmp = tempfile::tempdir().unwrap();
    let header = format!(
        r#"{{"0.weight":{{"dtype":"F32","shape":[0,{m},{m}],"data_offsets":[0,0]}}}}"#,
        m = u64::MAX
    );
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend(header.as_bytes());
    let ckpt = tmp.path().join("huge.safetensors");
    std::fs::write(&ckpt, bytes).unwrap();
    let line = fails_within_limits(&["eval", "--checkpoint", s(&ckpt)]);
    assert!(
        line.contains("huge.safetensors") && line.contains("too large"),
        "{line}"
    );
}

/// A valid 1x1 grey PNG whose header then claims `width` x `height` (CRC fixed up, so the
/// decoder gets as far as the size).
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut enc = png::Encoder::new(&mut bytes, 1, 1);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(&[7]).unwrap();
    assert_eq!(&bytes[12..16], b"IHDR");
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// A valid 8x8 grey JPEG whose frame header then claims `width` x `height`.
fn jpeg_claiming(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = Vec::new();
    jpeg_encoder::Encoder::new(&mut bytes, 90)
        .encode(&[128u8; 64], 8, 8, jpeg_encoder::ColorType::Luma)
        .unwrap();
    let sof = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    bytes[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    bytes
}

#[test]
fn pictures_larger_than_the_limit_are_refused_before_decoding() {
    // Causes 10 and 11: a PNG claiming 100000x100000 (30 GB), a 1 KB JPEG claiming
    // 65535x65535 (8.7 GB resident).
    let tmp = tempfile::tempdir().unwrap();
    let (_data, run) = one_epoch_run(tmp.path());
    let png = tmp.path().join("huge.png");
    std::fs::write(&png, png_claiming(100_000, 100_000)).unwrap();
    let line = fails_within_limits(&["predict", "--run", s(&run), s(&png)]);
    assert!(
        line.contains("huge.png")
            && line.contains("100000x100000 pixels, more than the 100 megapixels"),
        "{line}"
    );
    let jpeg = tmp.path().join("huge.jpg");
    let bytes = jpeg_claiming(65535, 65535);
    assert!(bytes.len() < 1000);
    std::fs::write(&jpeg, bytes).unwrap();
    let line = fails_within_limits(&["predict", "--run", s(&run), s(&jpeg)]);
    assert!(
        line.contains("huge.jpg") && line.contains("65535x65535 pixels"),
        "{line}"
    );
    // The same pictures at their true size are read (and are blank, which is an error
    // of its own).
    for (name, bytes) in [
        ("small.png", png_claiming(1, 1)),
        ("small.jpg", jpeg_claiming(8, 8)),
    ] {
        let path = tmp.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let line = fails(&["predict", "--run", s(&run), s(&path)]);
        assert!(line.contains("shows no digit"), "{name}: {line}");
    }
}

#[test]
fn a_palette_of_broken_entries_is_an_error_not_a_panic() {
    // Found by the fuzzer: png 0.17 panics on a PLTE chunk that is not whole RGB triples
    // (image-rs/image-png#694). A 1x1 picture with a palette of 4 bytes.
    let tmp = tempfile::tempdir().unwrap();
    let (_data, run) = one_epoch_run(tmp.path());
    let mut bytes = Vec::new();
    let mut enc = png::Encoder::new(&mut bytes, 1, 1);
    enc.set_color(png::ColorType::Indexed);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_palette(vec![0, 0, 0, 255, 255, 255]);
    enc.write_header().unwrap().write_image_data(&[1]).unwrap();
    let plte = bytes.windows(4).position(|w| w == b"PLTE").unwrap() - 4;
    assert_eq!(bytes[plte..plte + 4], 6u32.to_be_bytes());
    // Cut the palette to 4 bytes and mend the chunk's length and CRC.
    bytes.drain(plte + 12..plte + 14);
    bytes[plte..plte + 4].copy_from_slice(&4u32.to_be_bytes());
    let crc = crc32(&bytes[plte + 4..plte + 12]);
    bytes[plte + 12..plte + 16].copy_from_slice(&crc.to_be_bytes());
    let path = tmp.path().join("palette.png");
    std::fs::write(&path, bytes).unwrap();
    let line = fails_within_limits(&["predict", "--run", s(&run), s(&path)]);
    assert!(
        line.contains("palette.png")
            && line.contains("palette (PLTE) has 4 bytes, not whole RGB entries"),
        "{line}"
    );
}

/// The names in `dir` that look like a write's temporary.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

#[test]
fn temporaries_of_interrupted_writes_are_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let (_data, run) = one_epoch_run(tmp.path());
    // What kill -9 during a save leaves: a StateDict temporary and a metrics temporary in
    // the older `NAME.tmp-PID` form. A file that only looks similar stays.
    for name in [
        ".train_state.safetensors.tmp-4194301",
        "metrics.tmp-4194302",
        "notes.tmp-draft",
    ] {
        std::fs::write(run.join(name), b"half a file").unwrap();
    }
    ok(&["fit", "--resume", s(&run), "--epochs", "2", "--json"]);
    assert_eq!(temporaries(&run), ["notes.tmp-draft"]);
}

#[test]
fn a_run_killed_before_its_first_epoch_ended_can_be_resumed() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, run) = one_epoch_run(tmp.path());
    let finished = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    // Killed during epoch 1: only the config was written.
    for f in [
        "model.safetensors",
        "train_state.safetensors",
        "metrics.jsonl",
        "curve.svg",
    ] {
        std::fs::remove_file(run.join(f)).unwrap();
    }
    // `--out` takes the folder for a new run (nothing of the old one is lost: no epoch of
    // it finished), with the new settings; shown on a copy.
    let copy = tmp.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    std::fs::copy(run.join("config.json"), copy.join("config.json")).unwrap();
    let out = fit_logistic(&data, &copy, "1", "32", &["--seed", "5"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    let config = std::fs::read_to_string(copy.join("config.json")).unwrap();
    assert!(config.contains("\"seed\": 5"), "{config}");
    // `--resume` starts it from the first epoch with its own settings.
    let out = ok(&["fit", "--resume", s(&run)]);
    assert!(
        out.contains("no epoch had finished: starting from the first"),
        "{out}"
    );
    // The same epoch as the run that was not interrupted, to the bit.
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let strip = |m: &str| -> Vec<serde_json::Value> {
        m.lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("seconds");
                v
            })
            .collect()
    };
    assert_eq!(strip(&metrics), strip(&finished));
}
