//! Ctrl-C during `fit`, and runs stopped before their first epoch ended: the run folder
//! stays usable, one line says how to continue, and the exit status is 130.
#![cfg(unix)]
mod common;
use common::*;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// `firelight args` started with its stdout and stderr piped.
fn spawn(args: &[&str]) -> Child {
    firelight()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts the binary")
}

/// Ctrl-C, as a terminal sends it.
fn sigint(child: &Child) {
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Waits at most a minute: a `fit` that ignored Ctrl-C would otherwise run its 1000 epochs.
fn wait(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("fit still running a minute after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn rest(pipe: &mut impl Read) -> String {
    let mut text = String::new();
    pipe.read_to_string(&mut text).unwrap();
    text
}

fn lines_of(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

#[test]
fn ctrl_c_after_an_epoch_keeps_it_and_says_how_to_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 12_000, 10);
    let run = tmp.path().join("run");
    let mut child = spawn(&[
        "fit",
        "--model",
        "mlp",
        "--epochs",
        "1000",
        "--limit",
        "2000",
        "--data",
        s(&data),
        "--out",
        s(&run),
        "--json",
    ]);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let first: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(first["epoch"], 1);
    sigint(&child);
    let status = wait(&mut child);
    let printed = 1 + rest(&mut stdout).lines().count();
    let err = rest(&mut child.stderr.take().unwrap());

    assert_eq!(status.code(), Some(130), "stderr: {err}");
    let saved = lines_of(&run.join("metrics.jsonl"));
    assert_eq!(saved, printed, "every epoch printed is saved, and no other");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    let expected_saved = match saved {
        1 => "epoch 1 is saved in".to_string(),
        n => format!("epochs 1-{n} are saved in"),
    };
    assert!(
        lines[0].starts_with(&format!(
            "interrupted: epoch {} of 1000 was abandoned",
            saved + 1
        )) && lines[0].contains(&expected_saved)
            && lines[0].ends_with(&format!(
                "continue with `firelight fit --resume {}`",
                s(&run)
            )),
        "{err}"
    );

    // The command it gave continues from the next epoch (to one more, here).
    let more = (saved + 1).to_string();
    let out = ok(&["fit", "--resume", s(&run), "--epochs", &more, "--json"]);
    let rows: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(rows[0]["epoch"], saved + 1);
    assert_eq!(lines_of(&run.join("metrics.jsonl")), saved + 1);
}

/// A CNN fit into `run`, stopped by Ctrl-C as soon as training begins (the table's header
/// is printed): its first epoch (8,000 examples in batches of 8, about a second) takes far
/// longer than the signal does to arrive. Returns the one line on stderr.
fn stop_in_first_epoch(data: &Path, run: &Path) -> String {
    let mut child = spawn(&[
        "fit",
        "--model",
        "cnn",
        "--epochs",
        "3",
        "--limit",
        "8000",
        "--batch-size",
        "8",
        "--data",
        s(data),
        "--out",
        s(run),
    ]);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("train_loss") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "fit ended early");
    }
    sigint(&child);
    let status = wait(&mut child);
    let err = rest(&mut child.stderr.take().unwrap());
    assert_eq!(status.code(), Some(130), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    err.trim_end().to_string()
}

#[test]
fn a_run_stopped_in_its_first_epoch_can_be_resumed_or_started_afresh() {
    let tmp = tempfile::tempdir().unwrap();
    let data = idx_dir(tmp.path(), 18_000, 10);
    let run = tmp.path().join("run");
    let line = stop_in_first_epoch(&data, &run);
    assert!(
        line.starts_with("interrupted: epoch 1 of 3 was abandoned; no epoch had finished in")
            && line.contains(&format!("`firelight fit --resume {}`", s(&run)))
            && line.contains(&format!("`firelight fit --out {}`", s(&run))),
        "{line}"
    );
    assert!(run.join("config.json").is_file());
    assert!(!run.join("train_state.safetensors").exists());
    let copy = tmp.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    std::fs::copy(run.join("config.json"), copy.join("config.json")).unwrap();

    // --resume starts it from the first epoch, with its settings, and says so.
    let o = common::run(&["fit", "--resume", s(&run), "--epochs", "1", "--json"]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no epoch had finished: starting from the first"),
        "{err}"
    );
    assert_eq!(stdout(&o).lines().count(), 1);

    // fit --out reuses it, with new settings, and says so.
    let out = ok(&[
        "fit",
        "--model",
        "logistic",
        "--epochs",
        "1",
        "--limit",
        "500",
        "--data",
        s(&data),
        "--out",
        s(&copy),
    ]);
    assert!(
        out.contains("holds a run stopped before its first epoch ended: starting afresh"),
        "{out}"
    );
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(copy.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["model"], "logistic");

    // Once an epoch has finished, the folder is the run's: fit --out refuses it.
    let line = fails(&[
        "fit",
        "--model",
        "logistic",
        "--data",
        s(&data),
        "--out",
        s(&copy),
    ]);
    assert!(line.contains("already holds a run"), "{line}");
}

#[test]
fn a_folder_without_config_is_started_with_out_not_resumed() {
    // What a fit killed while it loaded its data leaves: an empty folder.
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    std::fs::create_dir(&run).unwrap();
    let line = fails(&["fit", "--resume", s(&run)]);
    assert!(
        line.contains("has no config.json")
            && line.contains(&format!("`firelight fit --out {}`", s(&run))),
        "{line}"
    );
    let data = idx_dir(tmp.path(), 10_100, 10);
    fit_logistic(&data, &run, "1", "100", &[]);
}
