//! Every user mistake ends with one `error:` line on stderr and a non-zero exit.
mod common;
use common::*;

#[test]
fn data_folder_mistakes() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    assert!(fails(&["fit", "--data", s(&missing)]).contains("does not exist"));

    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let line = fails(&["data", "--data", s(&empty)]);
    assert!(
        line.contains("is empty") && line.contains("mnist.pkl.gz"),
        "{line}"
    );

    let file = tmp.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    assert!(fails(&["fit", "--data", s(&file)]).contains("is a file"));

    let other = tmp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "hello").unwrap();
    let line = fails(&["fit", "--data", s(&other)]);
    assert!(line.contains("no MNIST data here"), "{line}");
}

#[test]
fn files_in_the_wrong_format() {
    let tmp = tempfile::tempdir().unwrap();
    let pkl = tmp.path().join("pkl");
    std::fs::create_dir(&pkl).unwrap();
    std::fs::write(pkl.join("mnist.pkl.gz"), b"this is not gzip").unwrap();
    let line = fails(&["fit", "--data", s(&pkl)]);
    assert!(line.contains("mnist.pkl.gz"), "{line}");

    let idx = idx_dir(tmp.path(), 10_010, 10);
    std::fs::write(
        idx.join("train-labels-idx1-ubyte"),
        b"\x00\x00\x08\x03garbage",
    )
    .unwrap();
    let line = fails(&["data", "--data", s(&idx)]);
    assert!(line.contains("train-labels-idx1-ubyte"), "{line}");
}

#[test]
fn flag_mistakes() {
    let line = fails(&["fit", "--model", "resnet"]);
    assert!(
        line.contains("unknown model \"resnet\"") && line.contains("logistic, mlp, cnn"),
        "{line}"
    );
    assert!(fails(&["fit", "--epochs", "two"]).contains("--epochs"));
    assert!(fails(&["fit", "--batch-size", "0"]).contains("--batch-size"));
    assert!(fails(&["fit", "--lr", "-1"]).contains("--lr must be > 0"));
    assert!(fails(&["fit", "--momentum", "1.5"]).contains("--momentum"));
    assert!(
        fails(&["fit", "--optimizer", "adam", "--momentum", "0.9"]).contains("--momentum is for")
    );
    assert!(fails(&["fit", "--optimizer", "lbfgs"]).contains("lbfgs"));
    // A usage mistake points at the help that lists the subcommand's flags.
    let line = fails(&["fit", "--frobnicate"]);
    assert!(
        line.contains("--frobnicate") && line.ends_with("(see `firelight fit --help`)"),
        "{line}"
    );
    let line = fails(&["eval", "--split", "train"]);
    assert!(line.ends_with("(see `firelight eval --help`)"), "{line}");
    let line = fails(&["frobnicate"]);
    assert!(line.ends_with("(see `firelight --help`)"), "{line}");
    assert!(fails(&["data", "--show", "4"]).contains("--out"));
    assert!(fails(&["eval"]).contains("--run"));
    #[cfg(not(feature = "gpu"))]
    {
        let gpu = fails(&["fit", "--device", "gpu"]);
        assert!(gpu.contains("no GPU support"), "{gpu}");
    }
}

#[test]
fn bare_firelight_is_a_usage_error() {
    // Help on stderr, status 2 as for any usage mistake, so a script that forgot the
    // subcommand does not carry on as if it had succeeded.
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("Usage: firelight <COMMAND>") && err.contains("fit"),
        "{err}"
    );
    // Asking for help is not a mistake.
    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("Usage: firelight <COMMAND>"));
}

#[test]
fn fit_help_gives_each_optimizers_default_lr() {
    let help = ok(&["fit", "--help"]);
    assert!(
        help.contains("adam and adamw: lr 0.001 (PyTorch's default)"),
        "{help}"
    );
    assert!(help.contains("SGD lr 0.1 momentum 0.9"), "{help}");
}

#[test]
fn data_checks_its_arguments_before_printing_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 10_010, 10);
    let args = |start: &str, out: &std::path::Path| -> std::process::Output {
        run(&[
            "data",
            "--data",
            s(&data),
            "--show",
            "3",
            "--start",
            start,
            "--out",
            s(out),
        ])
    };
    let o = args("10", &tmp.path().join("g.png"));
    let line = one_line_error(&o);
    assert!(
        line.contains("--start 10 is past the last training image (9)"),
        "{line}"
    );
    assert!(
        o.stdout.is_empty(),
        "no summary before the error: {}",
        stdout(&o)
    );
    assert!(!tmp.path().join("g.png").exists());
    let o = args("0", &tmp.path().join("no/such/folder/g.png"));
    let line = one_line_error(&o);
    assert!(
        line.contains("cannot write") && line.contains("g.png"),
        "{line}"
    );
    assert!(
        o.stdout.is_empty(),
        "no summary before the error: {}",
        stdout(&o)
    );
}

#[test]
fn run_and_checkpoint_mistakes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 10_010, 10);
    let run = tmp.path().join("run");
    fit_logistic(&data, &run, "1", "64", &[]);
    let ckpt = run.join("model.safetensors");
    let line = fails(&["fit", "--resume", s(&run)]);
    assert!(
        line.contains("already has the 1 epoch it was set to train; pass --epochs 2 or more"),
        "{line}"
    );

    let line = fails(&[
        "eval",
        "--checkpoint",
        s(&ckpt),
        "--model",
        "cnn",
        "--data",
        s(&data),
    ]);
    assert!(
        line.contains("does not fit model cnn") && line.contains("it is a logistic checkpoint"),
        "{line}"
    );
    let mlp_run = tmp.path().join("mlp");
    ok(&[
        "fit",
        "--model",
        "mlp",
        "--epochs",
        "1",
        "--limit",
        "64",
        "--data",
        s(&data),
        "--out",
        s(&mlp_run),
        "--json",
    ]);
    let line = fails(&[
        "eval",
        "--checkpoint",
        s(&mlp_run.join("model.safetensors")),
        "--model",
        "cnn",
        "--data",
        s(&data),
    ]);
    assert!(
        line.contains("it is an mlp checkpoint (use --model mlp)"),
        "{line}"
    );

    let junk = tmp.path().join("junk.safetensors");
    std::fs::write(&junk, b"not safetensors").unwrap();
    assert!(
        fails(&["eval", "--checkpoint", s(&junk), "--data", s(&data)]).contains("junk.safetensors")
    );
    assert!(
        fails(&[
            "eval",
            "--checkpoint",
            s(&tmp.path().join("none.safetensors"))
        ])
        .contains("does not exist")
    );
    assert!(fails(&["eval", "--run", s(&tmp.path().join("norun"))]).contains("does not exist"));
    assert!(fails(&["eval", "--run", s(&data)]).contains("not a run folder"));
    // A file where a run folder belongs is called what it is, not missing.
    for cmd in ["eval", "predict"] {
        let mut args = vec![cmd, "--run", s(&ckpt)];
        if cmd == "predict" {
            args.push("digit.png");
        }
        let line = fails(&args);
        assert!(
            line.contains(&format!("{} is a file, not a run folder", s(&ckpt)))
                && line.contains("--checkpoint"),
            "{line}"
        );
    }
    let line = fails(&["fit", "--resume", s(&ckpt)]);
    assert!(line.contains("is a file, not a run folder"), "{line}");
    let line = fails(&["eval", "--checkpoint", s(&run)]);
    assert!(
        line.contains("is a folder; a run folder goes to --run"),
        "{line}"
    );
    assert!(fails(&["fit", "--resume", s(&data)]).contains("not a run folder"));

    // Unreadable images: missing, not an image, a broken PNG, a blank page.
    let line = fails(&[
        "predict",
        "--run",
        s(&run),
        s(&tmp.path().join("missing.png")),
    ]);
    assert!(line.contains("missing.png"), "{line}");
    let text = tmp.path().join("text.png");
    std::fs::write(&text, "hello").unwrap();
    assert!(fails(&["predict", "--run", s(&run), s(&text)]).contains("not a PNG or JPEG"));
    let broken = tmp.path().join("broken.png");
    std::fs::write(&broken, b"\x89PNG\r\n\x1a\n\x00\x00").unwrap();
    assert!(fails(&["predict", "--run", s(&run), s(&broken)]).contains("cannot decode"));
    let blank = tmp.path().join("blank.png");
    ok(&[
        "data",
        "--data",
        s(&data),
        "--show",
        "1",
        "--out",
        s(&blank),
    ]);
    // A PNG of one uniform colour: rewrite the grid picture's pixels as all black.
    let line = fails(&[
        "predict",
        "--run",
        s(&run),
        s(&write_uniform_png(tmp.path())),
    ]);
    assert!(line.contains("blank"), "{line}");
}

/// A 28x28 all-black grayscale PNG, produced by `data --show` on an all-zero data set.
fn write_uniform_png(root: &std::path::Path) -> std::path::PathBuf {
    let dir = root.join("zeros");
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, magic: u32, dims: &[u32], len: usize| {
        let mut b = magic.to_be_bytes().to_vec();
        dims.iter().for_each(|d| b.extend(d.to_be_bytes()));
        b.extend(vec![0u8; len]);
        std::fs::write(dir.join(name), b).unwrap();
    };
    write(
        "train-images-idx3-ubyte",
        0x803,
        &[10_001, 28, 28],
        10_001 * 784,
    );
    write("train-labels-idx1-ubyte", 0x801, &[10_001], 10_001);
    write("t10k-images-idx3-ubyte", 0x803, &[1, 28, 28], 784);
    write("t10k-labels-idx1-ubyte", 0x801, &[1], 1);
    let png = root.join("black.png");
    ok(&["data", "--data", s(&dir), "--show", "1", "--out", s(&png)]);
    png
}

#[test]
fn output_that_cannot_be_written() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 10_010, 10);
    let file = tmp.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let under_file = file.join("run");
    let line = fails(&["fit", "--data", s(&data), "--out", s(&under_file)]);
    assert!(line.contains("cannot create the run folder"), "{line}");
    let line = fails(&[
        "data",
        "--data",
        s(&data),
        "--show",
        "2",
        "--out",
        s(&file.join("g.png")),
    ]);
    assert!(line.contains("g.png"), "{line}");
    assert!(
        fails(&[
            "data",
            "--data",
            s(&data),
            "--show",
            "2",
            "--out",
            "grid.jpg"
        ])
        .contains(".png")
    );
}

#[test]
fn missing_default_data_and_no_network() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("mnist");
    let o = firelight()
        .env("FIRELIGHT_DATA", &home)
        .args(["fit", "--json"])
        .output()
        .unwrap();
    let line = one_line_error(&o);
    assert!(
        line.contains("could not be downloaded") && line.contains(s(&home)),
        "{line}"
    );
    assert!(!home.join("mnist.pkl.gz").exists());

    // A download that is not the tutorial's file is rejected by its sha256.
    let wrong = tmp.path().join("wrong.pkl.gz");
    std::fs::write(&wrong, b"something else").unwrap();
    let o = firelight()
        .env("FIRELIGHT_DATA", &home)
        .env("FIRELIGHT_MNIST_URL", format!("file://{}", s(&wrong)))
        .args(["fit", "--json"])
        .output()
        .unwrap();
    let line = one_line_error(&o);
    assert!(line.contains("sha256"), "{line}");
    assert!(!home.join("mnist.pkl.gz").exists());
}
