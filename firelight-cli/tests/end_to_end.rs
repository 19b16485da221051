//! The end-to-end check on the real MNIST (about half a minute in release mode, so
//! ignored by default; CI runs it with `--ignored`): the tutorial's CNN trained for two
//! epochs reaches valid accuracy >= 0.92, and `predict` recognises digits that
//! `data --show` drew.
use std::process::Command;

fn firelight(args: &[&str]) -> String {
    // The default data: $FIRELIGHT_DATA, else the repository's data/mnist.
    let o = Command::new(env!("CARGO_BIN_EXE_firelight"))
        .args(args)
        .output()
        .expect("runs the binary");
    assert!(
        o.status.success(),
        "firelight {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
#[ignore = "trains on the real MNIST; run with --ignored"]
fn cnn_two_epochs_then_predict_drawn_digits() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let run_s = run.to_str().unwrap();
    let out = firelight(&[
        "fit", "--model", "cnn", "--epochs", "2", "--out", run_s, "--json",
    ]);
    let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let acc = last["valid_acc"].as_f64().unwrap();
    println!("cnn, 2 epochs: {out}");
    assert!(acc >= 0.92, "valid accuracy {acc} < 0.92");

    let (mut images, mut labels) = (Vec::new(), Vec::new());
    for k in 0..20 {
        let png = tmp.path().join(format!("digit{k}.png"));
        let text = firelight(&[
            "data",
            "--show",
            "1",
            "--start",
            &k.to_string(),
            "--out",
            png.to_str().unwrap(),
        ]);
        let label = text
            .trim_end()
            .trim_end_matches(')')
            .rsplit(' ')
            .next()
            .unwrap();
        labels.push(label.parse::<u64>().unwrap());
        images.push(png.to_str().unwrap().to_string());
    }
    let mut args = vec!["predict", "--run", run_s, "--json"];
    args.extend(images.iter().map(String::as_str));
    let preds: serde_json::Value = serde_json::from_str(&firelight(&args)).unwrap();
    let right = (0..20)
        .filter(|&i| preds[i]["digit"].as_u64() == Some(labels[i]))
        .count();
    assert!(right >= 18, "only {right} of 20 drawn digits recognised");
}
