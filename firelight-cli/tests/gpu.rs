//! `--device gpu` end to end (builds with the gpu feature): fit, eval and predict on the
//! GPU agree with the CPU, and a hidden driver is one clear error line.
//!
//! Without an adapter the tests say so and pass, unless `FIRELIGHT_REQUIRE_GPU=1`.
#![cfg(feature = "gpu")]
mod common;

use common::{fails, firelight, idx_dir, ok, s};

fn have_gpu() -> bool {
    match firelight::Device::gpu(0) {
        Ok(_) => true,
        Err(e) if std::env::var("FIRELIGHT_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("FIRELIGHT_REQUIRE_GPU=1 but no GPU: {e}")
        }
        Err(e) => {
            eprintln!("skipping: {e}");
            false
        }
    }
}

fn metrics(line: &str) -> (f64, f64, f64) {
    let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object per epoch");
    let f = |k: &str| v[k].as_f64().expect(k);
    (f("train_loss"), f("valid_loss"), f("valid_acc"))
}

#[test]
fn fit_eval_and_predict_on_the_gpu_match_the_cpu() {
    if !have_gpu() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 10_300, 20);
    let mut last = Vec::new();
    for dev in ["cpu", "gpu"] {
        let run = tmp.path().join(format!("run-{dev}"));
        let out = ok(&[
            "fit",
            "--model",
            "cnn",
            "--epochs",
            "1",
            "--limit",
            "256",
            "--data",
            s(&data),
            "--out",
            s(&run),
            "--json",
            "--device",
            dev,
        ]);
        last.push(metrics(out.lines().last().unwrap()));
        let config = std::fs::read_to_string(run.join("config.json")).unwrap();
        assert!(
            config.contains(&format!("\"device\": \"{dev}\"")),
            "{config}"
        );
    }
    let (c, g) = (last[0], last[1]);
    assert!(
        (c.0 - g.0).abs() < 1e-3 && (c.1 - g.1).abs() < 1e-3,
        "cpu {c:?} vs gpu {g:?}"
    );
    assert!((c.2 - g.2).abs() <= 1.0 / 256.0, "cpu {c:?} vs gpu {g:?}");

    let run = tmp.path().join("run-gpu");
    let cpu_eval = ok(&["eval", "--run", s(&run), "--limit", "100", "--json"]);
    let gpu_eval = ok(&[
        "eval",
        "--run",
        s(&run),
        "--limit",
        "100",
        "--json",
        "--device",
        "gpu",
    ]);
    let acc = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap()["accuracy"].as_f64();
    assert_eq!(acc(&cpu_eval), acc(&gpu_eval));

    let pic = tmp.path().join("d.png");
    ok(&["data", "--data", s(&data), "--show", "1", "--out", s(&pic)]);
    let digit =
        |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap()[0]["digit"].as_u64();
    let on_cpu = ok(&["predict", "--run", s(&run), s(&pic), "--json"]);
    let on_gpu = ok(&[
        "predict",
        "--run",
        s(&run),
        s(&pic),
        "--json",
        "--device",
        "gpu",
    ]);
    assert_eq!(digit(&on_cpu), digit(&on_gpu));

    // Resuming on the GPU continues the run.
    let more = ok(&[
        "fit",
        "--resume",
        s(&run),
        "--epochs",
        "2",
        "--json",
        "--device",
        "gpu",
    ]);
    assert_eq!(more.lines().filter(|l| l.starts_with('{')).count(), 1);
}

#[test]
fn a_hidden_driver_is_one_error_line() {
    let o = firelight()
        .args(["fit", "--device", "gpu", "--limit", "64"])
        .env("VK_ICD_FILENAMES", "/nonexistent")
        .env("VK_DRIVER_FILES", "/nonexistent")
        .output()
        .unwrap();
    let line = common::one_line_error(&o);
    assert!(
        line.contains("--device gpu") && line.contains("searched"),
        "{line}"
    );
    let _ = fails;
}
