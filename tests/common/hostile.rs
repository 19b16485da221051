//! What the hostile-file tests and the fuzzer share: running a command under a memory limit
//! and a deadline and telling how it ended (a clean error from a crash or a hang), and
//! building a large hostile stream cheaply.
//!
//! The limit is `ulimit -v` (setrlimit RLIMIT_AS) in a `sh` wrapper that then `exec`s the
//! command in its place, so it needs no libc binding. An allocation past the limit fails, and
//! Rust aborts on a failed allocation: a runaway reader dies with SIGABRT instead of taking
//! the machine with it.
#![allow(dead_code)] // each test crate uses a different part

use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How a limited run ended.
pub struct Finished {
    /// `None` when the deadline killed it.
    pub status: Option<ExitStatus>,
    /// What it printed on each stream.
    pub stdout: String,
    pub stderr: String,
    /// From the start to the end or the kill.
    pub elapsed: Duration,
}

impl Finished {
    /// The signal that ended the command, if one did (not counting the deadline's kill).
    pub fn signal(&self) -> Option<i32> {
        self.status.and_then(|s| s.signal())
    }

    /// Everything it printed, for failure messages.
    pub fn output(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr)
    }
}

/// Runs `cmd` (its program, arguments, environment and folder) with its address space
/// limited to `mem_mib` MiB, killing it if it is still running after `deadline`.
pub fn run_limited(cmd: &Command, mem_mib: u64, deadline: Duration) -> Finished {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!(
            "ulimit -v {} && exec \"$0\" \"$@\"",
            mem_mib * 1024
        ))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        sh.current_dir(dir);
    }
    sh.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = sh.spawn().expect("start sh");
    // Read both pipes while waiting, so that a chatty child never blocks on a full pipe.
    let stdout = drain(child.stdout.take().expect("piped"));
    let stderr = drain(child.stderr.take().expect("piped"));
    let mut pause = Duration::from_micros(100);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break Some(status);
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    Finished {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        elapsed,
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The environment variable that tells a child started by [`in_limited_child`] which test
/// it is running.
const CHILD_TEST: &str = "FIRELIGHT_LIMITED_TEST";

/// Runs the calling test, `name`, again in a child process of this test binary whose
/// memory is limited to `mem_mib` MiB, and fails unless it passes there; in that child, runs
/// `check`. A reader that runs away then fails its test cleanly.
pub fn in_limited_child(name: &str, mem_mib: u64, check: impl FnOnce()) {
    if std::env::var(CHILD_TEST).is_ok_and(|n| n == name) {
        check();
        if let Ok(status) = std::fs::read_to_string("/proc/self/status")
            && let Some(peak) = status.lines().find(|l| l.starts_with("VmHWM"))
        {
            eprintln!(
                "{name}: peak {}",
                peak.split_whitespace()
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        return;
    }
    let mut cmd = Command::new(std::env::current_exe().expect("the test binary"));
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_TEST, name);
    let run = run_limited(&cmd, mem_mib, Duration::from_secs(60));
    assert!(
        run.status.is_some(),
        "{name}: still running after 60 s\n{}",
        run.output()
    );
    // "1 passed" also proves that the filter found the test: a misspelt name runs nothing.
    assert!(
        run.status.is_some_and(|s| s.success()) && run.stdout.contains("1 passed"),
        "{name} failed in a child limited to {mem_mib} MiB (status {:?}, signal {:?})\n{}",
        run.status,
        run.signal(),
        run.output()
    );
    // What the child measured, for `--nocapture`.
    eprint!("{}", run.stderr);
}

/// gzip of `head`, `body` repeated `times`, then `tail`, compressed as it is made into `out`
/// (returned), so that a stream of a gigabyte never sits in memory: a file of kilobytes that
/// expands to what the reproducers expanded to.
pub fn gzip_repeated<W: Write>(out: W, head: &[u8], body: &[u8], times: usize, tail: &[u8]) -> W {
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    gz.write_all(head).expect("gzip");
    let chunk = body.repeat(((1 << 20) / body.len()).max(1));
    let per_chunk = chunk.len() / body.len();
    let mut left = times;
    while left > 0 {
        let n = left.min(per_chunk);
        gz.write_all(&chunk[..n * body.len()]).expect("gzip");
        left -= n;
    }
    gz.write_all(tail).expect("gzip");
    gz.finish().expect("gzip")
}

/// Runs `f` and fails if it took longer than `limit`.
pub fn within<T>(limit: Duration, what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    eprintln!("{what}: {took:?}");
    assert!(took < limit, "{what} took {took:?}, more than {limit:?}");
    out
}
