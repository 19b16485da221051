//! Running mutants in child processes under a memory limit and a deadline, and classifying
//! how each ended: ok, a clean error, a panic, a crash or a hang.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::child::REPORT;
use crate::common::{Finished, run_limited};

/// How a read ended. Only the first two are acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// The file was read.
    Ok,
    /// An error that says what was wrong.
    Clean,
    /// A panic, or for the command anything but one `error:` line.
    Panic,
    /// The process died: an abort (a failed allocation) or a signal.
    Crash,
    /// Still running at the deadline.
    Hang,
}

/// How one mutant's read ended.
pub struct Outcome {
    /// Which kind of ending.
    pub class: Class,
    /// The error or panic message, or how the process died.
    pub detail: String,
}

/// The limits every child runs under.
#[derive(Clone, Copy)]
pub struct Limits {
    /// Address space of each child, in MiB.
    pub mem_mib: u64,
    /// How long one file may take.
    pub hang: Duration,
}

/// How a process that gave no report for its file ended.
fn died(run: &Finished, limits: Limits) -> Outcome {
    match (run.status, run.signal()) {
        (None, _) => Outcome {
            class: Class::Hang,
            detail: format!("still running after {:?}", limits.hang),
        },
        (_, Some(sig)) => Outcome {
            class: Class::Crash,
            detail: format!(
                "killed by signal {sig}{}: {}",
                if sig == 6 {
                    " (abort: out of memory?)"
                } else {
                    ""
                },
                first_line(&run.stderr)
            ),
        },
        (Some(status), None) => Outcome {
            class: Class::Crash,
            detail: format!(
                "exited with {status} without a report: {}",
                first_line(&run.stderr)
            ),
        },
    }
}

/// The first line of what a dying process said (such as Rust's "memory allocation of N
/// bytes failed"), not the backtrace notes that follow it.
fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or("")
}

/// Reads `files` with the library reader `route`, in children of this binary: one child for
/// the lot, and when one dies, the file it was reading again on its own (so that what is
/// blamed is what that file does alone), then a new child for the rest.
pub fn library(exe: &Path, route: &str, files: &[PathBuf], limits: Limits) -> Vec<Outcome> {
    let mut out = Vec::with_capacity(files.len());
    while out.len() < files.len() {
        let rest = &files[out.len()..];
        let reports = child(exe, route, rest, limits);
        let got = reports.0.len();
        out.extend(reports.0);
        if got < rest.len() {
            let (mut alone, run) = child(exe, route, &rest[got..got + 1], limits);
            out.push(alone.pop().unwrap_or_else(|| died(&run, limits)));
        }
    }
    out
}

/// One child over `files`: the reports it gave, in order, and how it ended.
fn child(exe: &Path, route: &str, files: &[PathBuf], limits: Limits) -> (Vec<Outcome>, Finished) {
    let mut cmd = Command::new(exe);
    cmd.arg("--child").arg(route).args(files);
    // Each file gets a second on top of the hang limit: a slow file is not blamed for
    // the others, it is run again alone and judged by that.
    let deadline = limits.hang + Duration::from_secs(files.len() as u64);
    let run = run_limited(&cmd, limits.mem_mib, deadline);
    let mut reports = Vec::new();
    for line in run.stdout.lines() {
        let Some(rest) = line.strip_prefix(REPORT) else {
            continue;
        };
        let mut parts = rest.trim_start().splitn(3, ' ');
        let (Some(k), Some(kind)) = (parts.next(), parts.next()) else {
            continue;
        };
        assert_eq!(
            k.parse::<usize>().ok(),
            Some(reports.len()),
            "reports in order"
        );
        let detail = parts.next().unwrap_or("").to_string();
        let class = match kind {
            "ok" => Class::Ok,
            "err" => Class::Clean,
            _ => Class::Panic,
        };
        reports.push(Outcome { class, detail });
    }
    (reports, run)
}

/// Runs one `firelight` command: a clean error is exactly one `error:` line that is not the
/// command's report of a panic it caught.
pub fn command(cmd: &Command, limits: Limits) -> Outcome {
    let run = run_limited(cmd, limits.mem_mib, limits.hang);
    match run.status {
        Some(s) if s.success() => Outcome {
            class: Class::Ok,
            detail: String::new(),
        },
        Some(_) if run.signal().is_none() => {
            let lines: Vec<&str> = run
                .stderr
                .lines()
                .filter(|l| !l.trim().is_empty())
                .collect();
            let detail = lines.join(" | ");
            let class = match lines[..] {
                [line] if line.starts_with("error: internal error") => Class::Panic,
                // A picture decoder's panic, which the command contains (`image_io::guarded`)
                // but which is still a bug to find.
                [line] if line.contains("decoder failed on it (") => Class::Panic,
                [line] if line.starts_with("error: ") => Class::Clean,
                // Anything else (a trace, several lines) is not a clean error either.
                _ => Class::Panic,
            };
            Outcome { class, detail }
        }
        _ => died(&run, limits),
    }
}
