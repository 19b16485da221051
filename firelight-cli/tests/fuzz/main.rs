//! A deterministic mutation fuzzer over every reader of files people bring: pickles (alone
//! and as `Mnist::load` and `firelight data` read them), IDX files, safetensors files (through
//! `StateDict`, `firelight eval --checkpoint` and `firelight fit --resume`), and PNG and JPEG
//! pictures (through `firelight predict`).
//!
//! Each mutant is made from a fixed seed and its number, and read in a child process limited
//! to 1 GiB of memory and 10 seconds. How the read ended is classified as ok, a clean error, a
//! panic, a crash (an abort, such as a failed allocation, or a signal) or a hang; anything
//! but the first two fails the run, and the mutant is kept under `target/tmp/fuzz-failures`.
//!
//! With no arguments (as `cargo test` runs it) it reads a fixed set of mutants per target, a
//! few thousand in all. Options, after `cargo test --release -p firelight-cli --test fuzz --`:
//! `--seconds N` reads mutants until N seconds have passed (the long run); `--scale X`
//! multiplies the fixed counts; `--targets a,b` picks targets; `--seed N` starts elsewhere;
//! `--jobs N` sets the number of children at once; `--only TARGET:INDEX` reads one mutant
//! again, prints how it ended and keeps it; `--make-only` makes the mutants without reading
//! them (a check of the mutators themselves).
//!
//! A harness of our own, not cargo-fuzz: that needs a nightly toolchain, and coverage-guided
//! fuzzing in-process cannot tell an out-of-memory abort of a reader from one of the fuzzer.
//! Here each read is a separate process with its own limits, which is what the property
//! ("a bad file never crashes, hangs or exhausts memory") is about.
#[path = "../common/mod.rs"]
mod common;

mod bytes;
mod child;
mod formats;
mod pickle;
mod rng;
mod runner;
mod seeds;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rng::{Rng, mix};
use runner::{Class, Limits, Outcome};
use seeds::Seeds;

/// Where a target's mutants go.
#[derive(Clone, Copy)]
enum Route {
    /// A library reader, in a child of this binary.
    Library(&'static str),
    /// A `firelight` command; the function gives its arguments for a mutant's folder.
    Command(fn(&Seeds, &Path) -> Vec<OsString>),
}

/// A mutant's files, by name in its folder; the first is the one a library reader reads.
type Files = Vec<(&'static str, Vec<u8>)>;

/// What is fuzzed: a reader, how its mutants are made, and how many a short run reads.
struct Target {
    name: &'static str,
    route: Route,
    make: fn(&Seeds, &mut Rng, &Path) -> Files,
    count: u64,
}

fn os(parts: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    parts.iter().map(|p| p.as_ref().to_os_string()).collect()
}

/// `firelight predict` of `picture` with the first seed run's model.
fn predict(s: &Seeds, picture: &Path) -> Vec<OsString> {
    os(&[&"predict", &"--run", &s.runs[0].dir, &picture, &"--json"])
}

const TARGETS: &[Target] = &[
    Target {
        name: "pickle",
        route: Route::Library("pickle"),
        make: |s, r, _| vec![("m.pkl", pickle::mutant(r, &s.pickles, None))],
        count: 2000,
    },
    Target {
        name: "mnist-pickle",
        route: Route::Library("mnist"),
        make: |s, r, _| vec![("mnist.pkl.gz", pickle::mutant(r, &s.mnist, Some(true)))],
        count: 500,
    },
    Target {
        name: "idx",
        route: Route::Library("idx"),
        make: |s, r, _| vec![("m.idx", formats::idx(r, &s.idx))],
        count: 800,
    },
    Target {
        name: "safetensors",
        route: Route::Library("safetensors"),
        make: |s, r, scratch| {
            let run = r.pick(&s.runs);
            let (bytes, dict) = if r.chance(0.5) {
                (&run.state, &run.state_dict)
            } else {
                (&run.model, &run.model_dict)
            };
            let seeds = [bytes.clone()];
            let file = formats::safetensors(r, &seeds, std::slice::from_ref(dict), scratch);
            vec![("m.safetensors", file)]
        },
        count: 800,
    },
    Target {
        name: "data-command",
        route: Route::Command(|_, dir| os(&[&"data", &"--data", &dir, &"--json"])),
        make: |s, r, _| vec![("mnist.pkl.gz", pickle::mutant(r, &s.mnist, Some(true)))],
        count: 100,
    },
    Target {
        name: "eval-checkpoint",
        route: Route::Command(|s, dir| {
            os(&[
                &"eval",
                &"--checkpoint",
                &dir.join("m.safetensors"),
                &"--data",
                &s.data,
                &"--json",
            ])
        }),
        make: |s, r, scratch| {
            let run = r.pick(&s.runs);
            let seeds = [run.model.clone()];
            let file =
                formats::safetensors(r, &seeds, std::slice::from_ref(&run.model_dict), scratch);
            vec![("m.safetensors", file)]
        },
        count: 150,
    },
    Target {
        name: "fit-resume",
        route: Route::Command(|_, dir| {
            os(&[&"fit", &"--resume", &dir, &"--epochs", &"2", &"--json"])
        }),
        make: |s, r, scratch| {
            let run = r.pick(&s.runs);
            let seeds = [run.state.clone()];
            let state =
                formats::safetensors(r, &seeds, std::slice::from_ref(&run.state_dict), scratch);
            let mut config = run.config.clone();
            let mut metrics = run.metrics.clone();
            if r.chance(0.1) {
                let file = if r.chance(0.5) {
                    &mut config
                } else {
                    &mut metrics
                };
                bytes::mutate(r, file, &[]);
            }
            vec![
                ("config.json", config),
                ("metrics.jsonl", metrics),
                ("train_state.safetensors", state),
            ]
        },
        count: 200,
    },
    Target {
        name: "png",
        route: Route::Command(|s, dir| predict(s, &dir.join("m.png"))),
        make: |s, r, _| vec![("m.png", formats::png(r, &s.png))],
        count: 400,
    },
    Target {
        name: "jpeg",
        route: Route::Command(|s, dir| predict(s, &dir.join("m.jpg"))),
        make: |s, r, _| vec![("m.jpg", formats::jpeg(r, &s.jpeg))],
        count: 400,
    },
];

struct Options {
    seed: u64,
    scale: f64,
    seconds: Option<f64>,
    targets: Vec<usize>,
    jobs: usize,
    only: Option<(usize, u64)>,
    make_only: bool,
}

fn target_index(name: &str) -> usize {
    TARGETS
        .iter()
        .position(|t| t.name == name)
        .unwrap_or_else(|| {
            let names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
            panic!("unknown target {name:?} (targets: {})", names.join(", "))
        })
}

/// Our options; others (what `cargo test` passes every test binary, such as `--nocapture`
/// or a name filter) are ignored.
fn options(args: &[String]) -> Options {
    let mut o = Options {
        seed: 1,
        scale: 1.0,
        seconds: None,
        targets: (0..TARGETS.len()).collect(),
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get().min(4)),
        only: None,
        make_only: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| panic!("{a} needs a value"))
                .clone()
        };
        match a.as_str() {
            "--seed" => o.seed = value().parse().expect("--seed N"),
            "--scale" => o.scale = value().parse().expect("--scale X"),
            "--seconds" => o.seconds = Some(value().parse().expect("--seconds N")),
            "--jobs" => o.jobs = value().parse::<usize>().expect("--jobs N").max(1),
            "--make-only" => o.make_only = true,
            "--targets" => o.targets = value().split(',').map(target_index).collect(),
            "--only" => {
                let v = value();
                let (t, i) = v.split_once(':').expect("--only TARGET:INDEX");
                o.only = Some((target_index(t), i.parse().expect("--only TARGET:INDEX")));
            }
            _ => {}
        }
    }
    o
}

/// Hands out work: the target furthest behind its share, a batch of its next mutants.
struct Schedule {
    next: Vec<u64>,
    limit: Vec<u64>,
    weight: Vec<f64>,
    deadline: Option<Instant>,
}

impl Schedule {
    fn take(&mut self, batch: impl Fn(usize) -> u64) -> Option<(usize, std::ops::Range<u64>)> {
        if self.deadline.is_some_and(|d| Instant::now() > d) {
            return None;
        }
        let t = (0..self.next.len())
            .filter(|&t| self.next[t] < self.limit[t])
            .min_by(|&a, &b| {
                let share = |t: usize| self.next[t] as f64 / self.weight[t];
                share(a).total_cmp(&share(b))
            })?;
        let start = self.next[t];
        let end = (start + batch(t)).min(self.limit[t]);
        self.next[t] = end;
        Some((t, start..end))
    }
}

#[derive(Default)]
struct Tally {
    counts: BTreeMap<Class, u64>,
    seconds: f64,
}

struct Failure {
    target: usize,
    index: u64,
    outcome: Outcome,
    kept: PathBuf,
}

struct Fuzzer {
    seeds: Seeds,
    exe: PathBuf,
    work: PathBuf,
    failures_dir: PathBuf,
    seed: u64,
    limits: Limits,
}

impl Fuzzer {
    /// Writes mutant `index` of target `t` into `dir` (emptied first); returns the path of
    /// its first file, the one a library reader reads.
    fn write(&self, t: usize, index: u64, dir: &Path, scratch: &Path) -> PathBuf {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).expect("mutant folder");
        let mut rng = Rng::new(mix(&[self.seed, t as u64, index]));
        let files = (TARGETS[t].make)(&self.seeds, &mut rng, scratch);
        for (name, bytes) in &files {
            std::fs::write(dir.join(name), bytes).expect("write a mutant");
        }
        dir.join(files[0].0)
    }

    /// Makes and reads the mutants `range` of target `t`, in folders under `area`.
    fn run(
        &self,
        t: usize,
        range: std::ops::Range<u64>,
        area: &Path,
    ) -> Vec<(u64, PathBuf, Outcome)> {
        let scratch = area.join("scratch.safetensors");
        let (mut dirs, mut files) = (Vec::new(), Vec::new());
        for i in range {
            let dir = area.join(format!("m{}", i % 1000));
            files.push(self.write(t, i, &dir, &scratch));
            dirs.push((i, dir));
        }
        let outcomes = match TARGETS[t].route {
            Route::Library(route) => runner::library(&self.exe, route, &files, self.limits),
            Route::Command(args) => dirs
                .iter()
                .map(|(_, d)| {
                    let mut cmd = common::firelight();
                    cmd.args(args(&self.seeds, d));
                    runner::command(&cmd, self.limits)
                })
                .collect(),
        };
        dirs.into_iter()
            .zip(outcomes)
            .map(|((i, d), o)| (i, d, o))
            .collect()
    }

    /// Copies a failing mutant where it outlives the run.
    fn keep(&self, t: usize, index: u64, dir: &Path) -> PathBuf {
        let kept = self
            .failures_dir
            .join(format!("{}-{index}", TARGETS[t].name));
        let _ = std::fs::remove_dir_all(&kept);
        std::fs::create_dir_all(&kept).expect("failures folder");
        for entry in std::fs::read_dir(dir).expect("mutant folder").flatten() {
            let _ = std::fs::copy(entry.path(), kept.join(entry.file_name()));
        }
        kept
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        // What test runners ask a test binary; this one is a single test.
        println!("fuzz: test");
        return ExitCode::SUCCESS;
    }
    if args.first().map(String::as_str) == Some("--child") {
        child::main(&args[1], &args[2..]);
        return ExitCode::SUCCESS;
    }
    pickle::self_check();
    formats::self_check();
    let o = options(&args);
    let started = Instant::now();
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let work = tmp.join(format!("fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("work folder");
    let fuzzer = Fuzzer {
        seeds: Seeds::build(&work),
        exe: std::env::current_exe().expect("this binary"),
        work: work.clone(),
        failures_dir: tmp.join("fuzz-failures"),
        seed: o.seed,
        limits: Limits {
            mem_mib: common::GIB,
            hang: Duration::from_secs(10),
        },
    };
    let code = match o.only {
        Some((t, index)) => only(&fuzzer, t, index),
        None if o.make_only => make_only(&fuzzer, &o, started),
        None => campaign(&fuzzer, &o, started),
    };
    let _ = std::fs::remove_dir_all(&work);
    code
}

/// Makes the mutants of a run without reading them: a quick check of the mutators
/// themselves, over many more mutants than a run reads.
fn make_only(f: &Fuzzer, o: &Options, started: Instant) -> ExitCode {
    let scratch = f.work.join("scratch.safetensors");
    for &t in &o.targets {
        let count = (TARGETS[t].count as f64 * o.scale).ceil() as u64;
        let mut bytes = 0;
        for index in 0..count {
            let mut rng = Rng::new(mix(&[f.seed, t as u64, index]));
            let files = (TARGETS[t].make)(&f.seeds, &mut rng, &scratch);
            bytes += files.iter().map(|(_, b)| b.len()).sum::<usize>();
        }
        println!("{}: made {count} mutants, {bytes} bytes", TARGETS[t].name);
    }
    println!("in {:.1} s", started.elapsed().as_secs_f64());
    ExitCode::SUCCESS
}

/// Reads one mutant again, for a failure's report.
fn only(f: &Fuzzer, t: usize, index: u64) -> ExitCode {
    let area = f.work.join("only");
    let (_, dir, outcome) = f.run(t, index..index + 1, &area).pop().expect("one");
    let kept = f.keep(t, index, &dir);
    println!(
        "{}:{index}: {:?} {} (kept in {})",
        TARGETS[t].name,
        outcome.class,
        outcome.detail,
        kept.display()
    );
    if outcome.class <= Class::Clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn campaign(f: &Fuzzer, o: &Options, started: Instant) -> ExitCode {
    let n = TARGETS.len();
    let mut limit = vec![0; n];
    let mut weight = vec![1.0; n];
    for &t in &o.targets {
        let count = (TARGETS[t].count as f64 * o.scale).ceil().max(1.0);
        weight[t] = count;
        limit[t] = if o.seconds.is_some() {
            u64::MAX
        } else {
            count as u64
        };
    }
    let schedule = Mutex::new(Schedule {
        next: vec![0; n],
        limit,
        weight,
        deadline: o.seconds.map(|s| started + Duration::from_secs_f64(s)),
    });
    let tallies: Mutex<Vec<Tally>> = Mutex::new((0..n).map(|_| Tally::default()).collect());
    let failures: Mutex<Vec<Failure>> = Mutex::new(Vec::new());
    let batch = |t: usize| match TARGETS[t].route {
        Route::Library(_) => 32,
        Route::Command(_) => 1,
    };
    std::thread::scope(|scope| {
        for w in 0..o.jobs {
            let (schedule, tallies, failures) = (&schedule, &tallies, &failures);
            let area = f.work.join(format!("worker{w}"));
            scope.spawn(move || {
                loop {
                    let Some((t, range)) = schedule.lock().unwrap().take(batch) else {
                        break;
                    };
                    let start = Instant::now();
                    let results = f.run(t, range, &area);
                    let mut tally = tallies.lock().unwrap();
                    tally[t].seconds += start.elapsed().as_secs_f64();
                    for (index, dir, outcome) in results {
                        *tally[t].counts.entry(outcome.class).or_default() += 1;
                        if outcome.class > Class::Clean {
                            let kept = f.keep(t, index, &dir);
                            failures.lock().unwrap().push(Failure {
                                target: t,
                                index,
                                outcome,
                                kept,
                            });
                        }
                    }
                }
            });
        }
    });
    report(
        o,
        &tallies.into_inner().unwrap(),
        failures.into_inner().unwrap(),
        started,
    )
}

fn report(
    o: &Options,
    tallies: &[Tally],
    mut failures: Vec<Failure>,
    started: Instant,
) -> ExitCode {
    let classes = [
        Class::Ok,
        Class::Clean,
        Class::Panic,
        Class::Crash,
        Class::Hang,
    ];
    let total: u64 = tallies.iter().flat_map(|t| t.counts.values()).sum();
    println!(
        "fuzz: {total} mutants in {:.1} s (seed {}, {} children at a time, each limited to {} MiB and 10 s)",
        started.elapsed().as_secs_f64(),
        o.seed,
        o.jobs,
        common::GIB
    );
    println!(
        "{:<16} {:>8} {:>8} {:>8} {:>6} {:>6} {:>6} {:>9}",
        "target", "mutants", "ok", "error", "panic", "crash", "hang", "child s"
    );
    let mut sums = [0u64; 5];
    for &t in &o.targets {
        let tally = &tallies[t];
        let counts: Vec<u64> = classes
            .iter()
            .map(|c| tally.counts.get(c).copied().unwrap_or(0))
            .collect();
        counts.iter().zip(&mut sums).for_each(|(c, s)| *s += c);
        println!(
            "{:<16} {:>8} {:>8} {:>8} {:>6} {:>6} {:>6} {:>9.1}",
            TARGETS[t].name,
            counts.iter().sum::<u64>(),
            counts[0],
            counts[1],
            counts[2],
            counts[3],
            counts[4],
            tally.seconds
        );
    }
    println!(
        "{:<16} {:>8} {:>8} {:>8} {:>6} {:>6} {:>6}",
        "all", total, sums[0], sums[1], sums[2], sums[3], sums[4]
    );
    if failures.is_empty() {
        return ExitCode::SUCCESS;
    }
    failures.sort_by_key(|f| (f.target, f.index));
    println!("\n{} mutants failed:", failures.len());
    for f in &failures {
        let name = TARGETS[f.target].name;
        println!(
            "  {name}:{} {:?}: {}\n    kept in {}; again: cargo test --release -p firelight-cli --test fuzz -- --seed {} --only {name}:{}",
            f.index,
            f.outcome.class,
            f.outcome.detail,
            f.kept.display(),
            o.seed,
            f.index
        );
    }
    ExitCode::FAILURE
}
