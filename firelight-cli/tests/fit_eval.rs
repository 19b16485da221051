//! `fit`, `--resume`, `eval` and `predict` on a small synthetic IDX data set.
mod common;
use common::*;

use serde_json::Value;

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn fit_writes_a_run_folder_and_learns() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 11_000, 100);
    let run = tmp.path().join("run");
    let out = fit_logistic(&data, &run, "2", "1000", &["--workers", "2"]);
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 2, "{out}");
    assert_eq!(rows[1]["epoch"], 2);
    assert!(rows[1]["valid_acc"].as_f64().unwrap() > 0.9, "{out}");
    for f in [
        "config.json",
        "metrics.jsonl",
        "model.safetensors",
        "train_state.safetensors",
        "curve.svg",
    ] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["model"], "logistic");
    assert_eq!(config["lr"], 0.5);
    assert_eq!(config["workers"], 2);
    // Each --json line is the epoch's metrics.jsonl line plus the run folder.
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let without_run: Vec<Value> = rows
        .iter()
        .map(|r| {
            assert_eq!(r["run"], s(&run));
            let mut r = r.clone();
            r.as_object_mut().unwrap().remove("run");
            r
        })
        .collect();
    assert_eq!(json_lines(&metrics), without_run);

    // A second fit into the same folder would overwrite it: refused.
    let line = fails(&[
        "fit",
        "--model",
        "logistic",
        "--data",
        s(&data),
        "--out",
        s(&run),
    ]);
    assert!(line.contains("--resume"), "{line}");
}

/// The texts of an SVG's `<text>` elements, in order.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|t| {
            let body = &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()];
            body.trim().to_string()
        })
        .collect()
}

#[test]
fn the_curve_names_the_run_and_labels_its_axes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 10_300, 10);
    let run = tmp.path().join("run");
    ok(&[
        "fit",
        "--model",
        "mlp",
        "--optimizer",
        "adamw",
        "--lr",
        "0.003",
        "--epochs",
        "3",
        "--limit",
        "300",
        "--data",
        s(&data),
        "--out",
        s(&run),
        "--json",
    ]);
    let svg = std::fs::read_to_string(run.join("curve.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    let texts = svg_texts(&svg);
    assert_eq!(
        texts[0], "mlp, adamw lr 0.003 weight decay 0.01, batch 64, seed 0, first 300 examples",
        "the title comes first: {texts:?}"
    );
    for label in [
        "loss",
        "cross-entropy loss",
        "epoch",
        "accuracy (fraction correct)",
        "train",
        "valid",
    ] {
        assert!(
            texts.iter().any(|t| t == label),
            "no {label:?} in {texts:?}"
        );
    }
    let acc = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let last: Value = serde_json::from_str(acc.lines().last().unwrap()).unwrap();
    let caption = format!(
        "valid accuracy (epoch 3: {:.4})",
        last["valid_acc"].as_f64().unwrap()
    );
    assert!(texts.contains(&caption), "{texts:?}");
    // Tick values on both y axes and the epoch axis: numbers, several of them, and the
    // y axis labels are rotated along the axis.
    let numbers: Vec<f64> = texts.iter().filter_map(|t| t.parse().ok()).collect();
    assert!(numbers.len() >= 12, "{texts:?}");
    for epoch in [1.0, 2.0, 3.0] {
        assert!(numbers.contains(&epoch), "{texts:?}");
    }
    assert!(
        numbers
            .iter()
            .any(|&v| v > 0.0 && v < 1.0 && v.fract() != 0.0),
        "{texts:?}"
    );
    assert_eq!(
        svg.matches("rotate(270").count(),
        2,
        "two rotated y-axis labels"
    );
}

#[test]
fn json_without_out_says_where_the_run_went() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 10_100, 10);
    let o = firelight()
        .current_dir(tmp.path())
        .args([
            "fit",
            "--model",
            "logistic",
            "--epochs",
            "1",
            "--limit",
            "100",
            "--data",
            s(&data),
            "--json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = json_lines(&stdout(&o));
    let run = rows[0]["run"].as_str().unwrap();
    assert!(run.starts_with("runs/logistic-"), "{run}");
    assert!(
        tmp.path().join(run).join("model.safetensors").is_file(),
        "{run}"
    );
}

#[test]
fn text_output_has_a_line_per_epoch() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 10_100, 100);
    let run = tmp.path().join("run");
    let out = ok(&[
        "fit",
        "--model",
        "mlp",
        "--epochs",
        "2",
        "--limit",
        "300",
        "--data",
        s(&data),
        "--out",
        s(&run),
    ]);
    let epoch_lines: Vec<&str> = out
        .lines()
        .filter(|l| l.split_whitespace().count() == 5 && l.trim_start().starts_with(['1', '2']))
        .collect();
    assert_eq!(epoch_lines.len(), 2, "{out}");
    assert!(
        out.contains("epoch  train_loss  valid_loss  valid_acc  seconds"),
        "{out}"
    );
}

/// Trains `flags` for 3 epochs in one go, and for 1 epoch then `--resume` to 3; returns
/// both run folders after checking that the metrics (but the seconds) and the final weights
/// are identical.
fn check_resume(flags: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 10_300, 100);
    let (whole, parts) = (tmp.path().join("whole"), tmp.path().join("parts"));
    let mut common = vec![
        "--limit",
        "256",
        "--batch-size",
        "32",
        "--seed",
        "3",
        "--json",
        "--data",
        s(&data),
    ];
    common.extend(flags);
    let mut args = vec!["fit", "--epochs", "3", "--out", s(&whole)];
    args.extend(&common);
    ok(&args);
    let mut args = vec!["fit", "--epochs", "1", "--out", s(&parts)];
    args.extend(&common);
    ok(&args);
    // As if killed after writing epoch 2's metrics but before its training state.
    let metrics = parts.join("metrics.jsonl");
    let mut text = std::fs::read_to_string(&metrics).unwrap();
    text.push_str(&text.replace("\"epoch\":1", "\"epoch\":2"));
    std::fs::write(&metrics, text).unwrap();
    // Resumed on two loader threads where the first part had none: the batches, and so
    // the numbers, must not change.
    let resumed = ok(&[
        "fit",
        "--resume",
        s(&parts),
        "--epochs",
        "3",
        "--workers",
        "2",
        "--json",
    ]);
    assert_eq!(
        json_lines(&resumed).len(),
        2,
        "resume runs only epochs 2 and 3: {resumed}"
    );

    let strip = |dir: &std::path::Path| -> Vec<Value> {
        let text = std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap();
        json_lines(&text)
            .into_iter()
            .map(|mut v| {
                v.as_object_mut().unwrap().remove("seconds");
                v
            })
            .collect()
    };
    assert_eq!(strip(&whole).len(), 3);
    assert_eq!(strip(&whole), strip(&parts));
    assert_eq!(
        std::fs::read(whole.join("model.safetensors")).unwrap(),
        std::fs::read(parts.join("model.safetensors")).unwrap()
    );
    (tmp, parts)
}

#[test]
fn worker_threads_do_not_change_results() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 10_300, 100);
    let metrics = |workers: &str| -> (Vec<Value>, Vec<u8>) {
        let run = tmp.path().join(format!("w{workers}"));
        let out = ok(&[
            "fit",
            "--model",
            "mlp",
            "--epochs",
            "2",
            "--limit",
            "300",
            "--batch-size",
            "32",
            "--data",
            s(&data),
            "--out",
            s(&run),
            "--json",
            "--workers",
            workers,
        ]);
        let rows = json_lines(&out)
            .into_iter()
            .map(|mut v| {
                let row = v.as_object_mut().unwrap();
                row.remove("seconds");
                row.remove("run");
                v
            })
            .collect();
        (rows, std::fs::read(run.join("model.safetensors")).unwrap())
    };
    let (serial, serial_weights) = metrics("0");
    let (threaded, threaded_weights) = metrics("2");
    assert_eq!(serial.len(), 2);
    assert_eq!(serial, threaded);
    assert!(serial_weights == threaded_weights, "weights differ");
}

#[test]
fn resume_reproduces_an_uninterrupted_run() {
    // SGD with momentum: the momentum buffers must come back.
    let (_tmp, parts) = check_resume(&["--model", "cnn"]);
    // Done is done, said in words; and settings other than --epochs are the run's.
    let line = fails(&["fit", "--resume", s(&parts)]);
    assert_eq!(
        line,
        format!(
            "error: the run in {} already has the 3 epochs it was set to train; pass --epochs 4 or more to train further",
            s(&parts)
        )
    );
    let line = fails(&["fit", "--resume", s(&parts), "--epochs", "2"]);
    assert_eq!(
        line,
        format!(
            "error: the run in {} already has 3 epochs; --epochs 2 asks for fewer; pass --epochs 4 or more to train further",
            s(&parts)
        )
    );
    assert!(
        fails(&["fit", "--resume", s(&parts), "--epochs", "4", "--lr", "0.3"]).contains("--lr")
    );
    let line = fails(&[
        "fit",
        "--resume",
        s(&parts),
        "--epochs",
        "4",
        "--model",
        "mlp",
    ]);
    assert!(line.contains("--model"), "{line}");
    // Naming the run's own model is fine.
    ok(&[
        "fit",
        "--resume",
        s(&parts),
        "--epochs",
        "4",
        "--model",
        "cnn",
        "--json",
    ]);
}

#[test]
fn resume_with_adamw_reproduces_an_uninterrupted_run() {
    // AdamW: moment buffers and the step count (a scalar) must come back.
    let (_tmp, parts) = check_resume(&["--model", "mlp", "--optimizer", "adamw"]);
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(parts.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        (config["lr"].as_f64(), config["weight_decay"].as_f64()),
        (Some(0.001), Some(0.01))
    );
}

#[test]
fn eval_and_predict_a_trained_run() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 11_000, 100);
    let run = tmp.path().join("run");
    fit_logistic(&data, &run, "1", "1000", &[]);

    let report: Value = serde_json::from_str(&ok(&[
        "eval",
        "--run",
        s(&run),
        "--split",
        "test",
        "--json",
    ]))
    .unwrap();
    assert_eq!(report["split"], "test");
    assert_eq!(report["examples"], 100);
    let confusion = report["confusion"].as_array().unwrap();
    let total: u64 = confusion
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 100);
    let diagonal: u64 = (0..10).map(|i| confusion[i][i].as_u64().unwrap()).sum();
    assert_eq!(
        diagonal as f64 / 100.0,
        report["accuracy"].as_f64().unwrap()
    );

    let text = ok(&[
        "eval",
        "--checkpoint",
        s(&run.join("model.safetensors")),
        "--data",
        s(&data),
        "--limit",
        "500",
    ]);
    assert!(
        text.contains("model       logistic"),
        "recognised from its tensors: {text}"
    );
    assert!(
        text.contains("last 10,000 images of the training file"),
        "{text}"
    );
    assert!(text.contains("confusion matrix"), "{text}");

    // A training picture, written by `data --show`, classified by `predict`.
    let png = tmp.path().join("digit.png");
    let shown = ok(&[
        "data",
        "--data",
        s(&data),
        "--show",
        "1",
        "--start",
        "3",
        "--out",
        s(&png),
    ]);
    assert!(shown.contains("labels 1"), "{shown}");
    let out = ok(&["predict", "--run", s(&run), s(&png), "--json"]);
    let preds: Value = serde_json::from_str(&out).unwrap();
    let p = preds[0]["probabilities"].as_array().unwrap();
    let sum: f64 = p.iter().map(|v| v.as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-4, "{out}");
    let argmax = (0..10)
        .max_by(|&i, &j| p[i].as_f64().unwrap().total_cmp(&p[j].as_f64().unwrap()))
        .unwrap();
    assert_eq!(preds[0]["digit"], argmax);
    assert_eq!(preds[0]["digit"], 1, "{out}");
}

#[test]
fn data_summarises_and_draws_a_grid() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 10_050, 30);
    let png = tmp.path().join("grid.png");
    let out = ok(&["data", "--data", s(&data), "--show", "12", "--out", s(&png)]);
    assert!(
        out.contains("[50, 784]") && out.contains("[10000, 784]") && out.contains("[30, 784]"),
        "{out}"
    );
    assert!(out.contains("float32") && out.contains("int64"), "{out}");
    let labels: Vec<u8> = out
        .lines()
        .find_map(|l| l.split_once("(labels "))
        .map(|(_, l)| {
            l.trim_end_matches(')')
                .split(' ')
                .map(|d| d.parse().unwrap())
                .collect()
        })
        .unwrap();
    assert_eq!(
        labels,
        (0..12).map(|i| (i * 7 % 10) as u8).collect::<Vec<_>>()
    );
    // Ten digits a row, each 4x (112 pixels) with a 28-pixel label band under it, 8 pixels
    // between and around them: 10*112 + 11*8 wide, 2*(112 + 28) + 3*8 high.
    let (w, h, px) = read_png_gray(&png);
    assert_eq!((w, h), (1208, 304));
    for (i, &label) in labels.iter().enumerate() {
        let (x0, y0) = (8 + (i % 10) * 120, 8 + (i / 10) * 148);
        // The digit: the data's own pixels, each a 4x4 block.
        let digit: Vec<u8> = (0..784)
            .map(|k| px[(y0 + k / 28 * 4) * w + x0 + k % 28 * 4])
            .collect();
        assert_eq!(digit, picture(i as u8 * 7 % 10, i), "digit {i}");
        // Its label, read back through the 3x5 font at 4x, centred in the band.
        let (gx, gy) = (x0 + (112 - 12) / 2, y0 + 112 + (28 - 20) / 2);
        let glyph: Vec<u8> = (0..5)
            .map(|r| {
                (0..3).fold(0, |acc, c| {
                    acc << 1 | u8::from(px[(gy + r * 4 + 1) * w + gx + c * 4 + 1] < 128)
                })
            })
            .collect();
        assert_eq!(glyph, FONT[label as usize], "label of digit {i}");
    }
    // The page between digits is light, and the labels' band has ink only where glyphs are.
    assert!(px[2 * w + 2] > 200);
    let band_ink = (0..28)
        .flat_map(|y| (0..112).map(move |x| (y, x)))
        .filter(|&(y, x)| px[(8 + 112 + y) * w + 8 + x] < 128)
        .count();
    let glyph_pixels = FONT[labels[0] as usize]
        .iter()
        .map(|b| b.count_ones() as usize)
        .sum::<usize>()
        * 16;
    assert_eq!(band_ink, glyph_pixels);

    // One digit is written alone, unscaled and unlabelled, as predict reads it.
    let one = tmp.path().join("one.png");
    ok(&[
        "data",
        "--data",
        s(&data),
        "--show",
        "1",
        "--start",
        "5",
        "--out",
        s(&one),
    ]);
    let (w, h, px) = read_png_gray(&one);
    assert_eq!((w, h), (28, 28));
    assert_eq!(px, picture(5 * 7 % 10, 5));
    let summary: Value =
        serde_json::from_str(&ok(&["data", "--data", s(&data), "--json"])).unwrap();
    let hist = summary["splits"][2]["label_histogram"].as_array().unwrap();
    assert_eq!(hist.iter().map(|v| v.as_u64().unwrap()).sum::<u64>(), 30);
}

#[test]
fn bench_reports_every_workload() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 10_050, 30);
    let report: Value = serde_json::from_str(&ok(&[
        "bench",
        "--data",
        s(&data),
        "--limit",
        "128",
        "--epochs",
        "2",
        "--threads",
        "1",
        "--json",
    ]))
    .unwrap();
    assert_eq!(report["threads"], 1);
    assert_eq!(report["epochs"], 2);
    for m in report["models"].as_array().unwrap() {
        assert!(m["train_epoch_s"].as_f64().unwrap() > 0.0, "{m}");
        assert!(m["train_epoch_later_s"].as_f64().unwrap() > 0.0, "{m}");
    }
    let models: Vec<&str> = report["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, ["logistic", "mlp", "cnn"]);
    assert!(report["cnn_inference_images_per_s"].as_f64().unwrap() > 0.0);
    assert!(report["cnn_latency_batch1_ms"].as_f64().unwrap() > 0.0);
    assert!(report["cnn_latency_batch64_ms"].as_f64().unwrap() > 0.0);
    assert!(report["ops"].as_array().unwrap().len() >= 5);
}

/// The PNG that `data --show 1` wrote, as bytes.
fn read_png_gray(path: &std::path::Path) -> (usize, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buf)
}

#[test]
fn predict_takes_large_dark_on_light_jpegs_like_mnist_pictures() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 11_000, 100);
    let run = tmp.path().join("run");
    fit_logistic(&data, &run, "2", "1000", &[]);
    let mut pngs = Vec::new();
    let mut jpegs = Vec::new();
    for k in 0..4 {
        let png = tmp.path().join(format!("d{k}.png"));
        ok(&[
            "data",
            "--data",
            s(&data),
            "--show",
            "1",
            "--start",
            &k.to_string(),
            "--out",
            s(&png),
        ]);
        // Scanned-paper style: 7x larger, dark ink on light grey, off-centre, as a JPEG.
        let (w, h, px) = read_png_gray(&png);
        let (cw, ch) = (320usize, 260usize);
        let mut canvas = vec![220u8; cw * ch];
        for y in 0..h * 7 {
            for x in 0..w * 7 {
                let v = px[(y / 7) * w + x / 7] as u32;
                canvas[(30 + y) * cw + 90 + x] = (220 - v * 200 / 255) as u8;
            }
        }
        let jpg = tmp.path().join(format!("d{k}.jpg"));
        let mut bytes = Vec::new();
        jpeg_encoder::Encoder::new(&mut bytes, 95)
            .encode(&canvas, cw as u16, ch as u16, jpeg_encoder::ColorType::Luma)
            .unwrap();
        std::fs::write(&jpg, bytes).unwrap();
        pngs.push(png);
        jpegs.push(jpg);
    }
    let predict = |files: &[std::path::PathBuf]| -> Vec<u64> {
        let mut args = vec!["predict", "--run", s(&run), "--json"];
        args.extend(files.iter().map(|p| s(p)));
        let v: Value = serde_json::from_str(&ok(&args)).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p["digit"].as_u64().unwrap())
            .collect()
    };
    let labels: Vec<u64> = (0..4).map(|i| ((i * 7) % 10) as u64).collect();
    assert_eq!(predict(&pngs), labels);
    assert_eq!(predict(&jpegs), labels);
}

#[test]
fn predict_reports_each_bad_picture_and_classifies_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 11_000, 100);
    let run = tmp.path().join("run");
    fit_logistic(&data, &run, "2", "1000", &[]);
    let digit = |k: usize| {
        let png = tmp.path().join(format!("d{k}.png"));
        ok(&[
            "data",
            "--data",
            s(&data),
            "--show",
            "1",
            "--start",
            &k.to_string(),
            "--out",
            s(&png),
        ]);
        png
    };
    let (a, b) = (digit(1), digit(2));
    let text = tmp.path().join("text.png");
    std::fs::write(&text, "hello").unwrap();
    let missing = tmp.path().join("missing.png");
    let args = [s(&a), s(&text), s(&b), s(&missing)];

    let o = common::run(&[&["predict", "--run", s(&run), "--json"][..], &args].concat());
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "one line per bad picture: {err}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains("text.png"),
        "{err}"
    );
    assert!(
        lines[1].starts_with("error: ") && lines[1].contains("missing.png"),
        "{err}"
    );
    let preds: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let got: Vec<(&str, u64)> = preds
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["image"].as_str().unwrap(), p["digit"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, [(s(&a), 7), (s(&b), 4)]);

    // The table too, and the same model from --checkpoint (recognised, or named).
    let ckpt = run.join("model.safetensors");
    for source in [
        vec!["--run", s(&run)],
        vec!["--checkpoint", s(&ckpt)],
        vec!["--checkpoint", s(&ckpt), "--model", "logistic"],
    ] {
        let o = common::run(&[&["predict"][..], &source, &args].concat());
        assert_eq!(o.status.code(), Some(1), "{source:?}");
        let table = stdout(&o);
        let rows: Vec<&str> = table.lines().skip(1).collect();
        assert_eq!(rows.len(), 2, "{table}");
        assert!(rows[0].starts_with(s(&a)) && rows[0].split_whitespace().nth(1) == Some("7"));
        assert!(rows[1].starts_with(s(&b)) && rows[1].split_whitespace().nth(1) == Some("4"));
    }
    // All pictures good: success.
    ok(&["predict", "--checkpoint", s(&ckpt), s(&a), s(&b)]);
    // The hint for a checkpoint of another model names a flag predict has.
    let line = fails(&["predict", "--checkpoint", s(&ckpt), "--model", "mlp", s(&a)]);
    assert!(
        line.contains("it is a logistic checkpoint (use --model logistic)"),
        "{line}"
    );
    assert!(ok(&["predict", "--help"]).contains("--checkpoint"));
}

#[test]
fn adam_on_the_cnn_says_what_it_reaches() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 10_100, 10);
    let fit = |optimizer: &str| {
        ok(&[
            "fit",
            "--model",
            "cnn",
            "--optimizer",
            optimizer,
            "--epochs",
            "1",
            "--limit",
            "64",
            "--data",
            s(&data),
            "--out",
            s(&tmp.path().join(optimizer)),
        ])
    };
    let out = fit("adam");
    assert!(
        out.contains("note: on the tutorial's CNN, Adam and AdamW reach about 0.78")
            && out.contains("see `firelight fit --help`"),
        "{out}"
    );
    assert!(!fit("sgd").contains("note:"));
}
