//! `firelight fit`: the tutorial's training loop with a run folder and `--resume`.
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use firelight::data::{DataLoader, TensorDataset};
use firelight::nn::{Module, functional as F};
use firelight::optim::{Adam, AdamW, Optimizer, Sgd};
use firelight::{Device, Tensor};

use crate::cli::{FitArgs, OptimizerKind};
use crate::dataset;
use crate::error::Result;
use crate::eval;
use crate::fail;
use crate::interrupt;
use crate::models;
use crate::plot;
use crate::run_dir::{self, Config, EpochMetrics, TrainState};

/// Trains; the exit status is success, or 130 when Ctrl-C stopped the run (after saying
/// how to resume it).
pub fn run(a: FitArgs) -> Result<ExitCode> {
    // From here on Ctrl-C is read between batches; before, it ends the process at once
    // and leaves no run folder at all.
    interrupt::install();
    let dev = a.device.open()?;
    let (dir, config) = match &a.resume {
        Some(dir) => (dir.clone(), resume_config(&a, dir)?),
        None => {
            let config = new_config(&a)?;
            let dir = a
                .out
                .clone()
                .unwrap_or_else(|| run_dir::default_dir(&config.model));
            if dir.join(run_dir::CONFIG).exists() {
                if run_dir::has_finished_epoch(&dir) {
                    return Err(fail!(
                        "{} already holds a run; continue it with --resume {0} or pick another --out",
                        dir.display()
                    ));
                }
                // A run stopped before its first epoch ended has nothing to lose: its
                // folder takes the new run, with the new settings.
                let line = format!(
                    "{} holds a run stopped before its first epoch ended: starting afresh there with these settings",
                    dir.display()
                );
                if a.json {
                    eprintln!("{line}");
                } else {
                    println!("{line}");
                }
            }
            (dir, config)
        }
    };
    run_dir::prepare(&dir)?;
    run_dir::remove_stale_temporaries(&dir)?;

    let data_dir = a
        .data
        .as_deref()
        .or(a.resume.as_ref().map(|_| config.data.as_path()));
    let loaded = match dataset::load(data_dir, a.json) {
        // Ctrl-C also reaches a download's curl, which then fails: that is the user's stop,
        // before anything of the run was written.
        Err(_) if interrupt::requested() => {
            eprintln!("interrupted: stopped while getting the data, before training began");
            return Ok(ExitCode::from(130));
        }
        r => r?,
    };
    let config = Config {
        data: std::path::absolute(&loaded.dir).unwrap_or(loaded.dir.clone()),
        ..config
    };
    let m = &loaded.mnist;
    let x_train = dataset::head(&m.x_train, config.limit);
    let y_train = dataset::head(&m.y_train, config.limit);
    let x_valid = dataset::head(&m.x_valid, config.limit);
    let y_valid = dataset::head(&m.y_valid, config.limit);

    firelight::manual_seed(config.seed);
    let model = models::build(&config.model)?.to(&dev);
    let mut opt = optimizer(&config, model.parameters());
    let mut history = Vec::new();
    let resumed = match a.resume {
        Some(_) => run_dir::load_train_state(&dir)?,
        None => None,
    };
    if let Some(state) = &resumed {
        let model_file = dir.join(run_dir::TRAIN_STATE);
        models::load_into(&model, &config.model, &state.model, &model_file)?;
        opt.load_state_dict(&state.optimizer)
            .map_err(|e| fail!("{}: {e}", model_file.display()))?;
        history = run_dir::load_metrics(&dir)?;
        if history.len() < state.epoch as usize {
            return Err(fail!(
                "{} lists {} but the training state has {}",
                dir.join(run_dir::METRICS).display(),
                epochs(history.len() as u32),
                state.epoch
            ));
        }
        // Metrics of an epoch whose state was never saved (a crash between the two) are redone.
        history.truncate(state.epoch as usize);
        if state.epoch >= config.epochs {
            return Err(nothing_to_do(&dir, state.epoch, a.epochs));
        }
    }
    run_dir::save_config(&dir, &config)?;
    let from_scratch = a.resume.is_some() && resumed.is_none();
    if a.json && from_scratch {
        eprintln!("{}: {FROM_SCRATCH}", dir.display());
    }
    if !a.json {
        println!(
            "{} {} on {} ({} train / {} valid examples) -> {}{}",
            if a.resume.is_some() {
                "resuming"
            } else {
                "training"
            },
            config.model,
            loaded.dir.display(),
            x_train.shape()[0],
            x_valid.shape()[0],
            dir.display(),
            if from_scratch {
                format!(" ({FROM_SCRATCH})")
            } else {
                String::new()
            }
        );
        if config.model == "cnn" && config.optimizer != "sgd" {
            println!("{ADAM_ON_CNN}");
        }
        println!(
            "{:>5}  {:>10}  {:>10}  {:>9}  {:>7}",
            "epoch", "train_loss", "valid_loss", "valid_acc", "seconds"
        );
    }

    let workers = config.workers as usize;
    for epoch in history.len() as u32..config.epochs {
        if interrupt::requested() {
            return Ok(interrupted(&dir, history.len(), config.epochs));
        }
        let start = Instant::now();
        let train_dl = train_loader(&x_train, &y_train, &config, epoch, dev);
        let mut progress = crate::progress::EpochProgress::new(
            format!("epoch {}/{}", epoch + 1, config.epochs),
            train_dl.len() as u64,
            a.json,
        );
        model.train();
        // The loss adds up where the model runs: reading it back every batch would make
        // a GPU wait for each step.
        let mut loss_sum = Tensor::zeros(&[]).to(&dev);
        let mut seen = 0usize;
        for (xb, yb) in &train_dl {
            if interrupt::requested() {
                break;
            }
            let loss = F::cross_entropy(&model.forward(&xb), &yb);
            loss.backward();
            opt.step();
            opt.zero_grad();
            let n = yb.shape()[0];
            loss_sum += loss.detach() * n as f64;
            seen += n;
            progress.inc();
        }
        progress.finish();
        // Half an epoch is not worth keeping: the folder still holds the last whole one.
        if interrupt::requested() {
            return Ok(interrupted(&dir, history.len(), config.epochs));
        }
        let ev = eval::evaluate(&model, &x_valid, &y_valid, workers, dev);
        let row = EpochMetrics {
            epoch: epoch + 1,
            train_loss: loss_sum.item::<f64>() / seen.max(1) as f64,
            valid_loss: ev.loss,
            valid_acc: ev.accuracy,
            seconds: start.elapsed().as_secs_f64(),
        };
        if !row.train_loss.is_finite() {
            return Err(fail!(
                "training diverged in epoch {} (loss is {}); try a smaller --lr",
                epoch + 1,
                row.train_loss
            ));
        }
        // The weights for eval/predict, the metrics, and last the resume state: a crash in
        // between leaves metrics one epoch ahead of the state, which resume cuts back and
        // redoes, so every file stays usable.
        model.state_dict().save(dir.join(run_dir::MODEL))?;
        history.push(row.clone());
        run_dir::save_metrics(&dir, &history)?;
        plot::draw(&dir.join(run_dir::CURVE), &history, &plot::title(&config))?;
        run_dir::save_train_state(
            &dir,
            &TrainState {
                epoch: epoch + 1,
                model: model.state_dict(),
                optimizer: opt.state_dict(),
            },
        )?;
        if a.json {
            let line = JsonRow {
                row: &row,
                run: &dir,
            };
            println!(
                "{}",
                serde_json::to_string(&line).expect("metrics serialise")
            );
        } else {
            println!(
                "{:>5}  {:>10.4}  {:>10.4}  {:>9.4}  {:>7.1}",
                row.epoch, row.train_loss, row.valid_loss, row.valid_acc, row.seconds
            );
        }
    }
    if !a.json {
        println!(
            "saved {} (curve: {})",
            dir.join(run_dir::MODEL).display(),
            dir.join(run_dir::CURVE).display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A `--json` line: the epoch's metrics (as in metrics.jsonl) and the run folder, which
/// without `--out` is named by the clock and would otherwise be nowhere in the output.
#[derive(serde::Serialize)]
struct JsonRow<'a> {
    #[serde(flatten)]
    row: &'a EpochMetrics,
    run: &'a Path,
}

const FROM_SCRATCH: &str =
    "no epoch had finished: starting from the first, with the run's settings";

/// Shown when the CNN trains with Adam or AdamW (measured on MNIST, 2 epochs, seed 0;
/// the numbers are in `fit --help` and the README).
const ADAM_ON_CNN: &str = "note: on the tutorial's CNN, Adam and AdamW reach about 0.78 \
valid accuracy in 2 epochs at lr 0.001 (0.83 at 0.01), SGD with momentum 0.925; \
see `firelight fit --help`";

/// `--resume` with nothing left to train: say how many epochs the run has and what to ask.
fn nothing_to_do(dir: &Path, done: u32, asked: Option<u32>) -> crate::error::CliError {
    let more = format!("pass --epochs {} or more to train further", done + 1);
    let has = epochs(done);
    match asked {
        Some(e) if e < done => fail!(
            "the run in {} already has {has}; --epochs {e} asks for fewer; {more}",
            dir.display()
        ),
        Some(e) => fail!(
            "the run in {} already has {has}; --epochs {e} asks for no more; {more}",
            dir.display()
        ),
        None => fail!(
            "the run in {} already has the {has} it was set to train; {more}",
            dir.display()
        ),
    }
}

/// "1 epoch", "3 epochs".
fn epochs(n: u32) -> String {
    match n {
        1 => "1 epoch".into(),
        n => format!("{n} epochs"),
    }
}

/// After Ctrl-C: where the run is and the exact command that continues it, on stderr
/// (stdout may be `--json`); then 130, the status a shell gives a process SIGINT ended.
fn interrupted(dir: &Path, done: usize, epochs: u32) -> ExitCode {
    let resume = format!("firelight fit --resume {}", shell_word(dir));
    let saved = match done {
        0 => format!(
            "no epoch had finished in {}; `{resume}` starts it from the first epoch with its \
settings (or `firelight fit --out {}` with new ones)",
            dir.display(),
            shell_word(dir)
        ),
        1 => format!(
            "epoch 1 is saved in {}; continue with `{resume}`",
            dir.display()
        ),
        n => format!(
            "epochs 1-{n} are saved in {}; continue with `{resume}`",
            dir.display()
        ),
    };
    eprintln!(
        "interrupted: epoch {} of {epochs} was abandoned; {saved}",
        done + 1
    );
    ExitCode::from(130)
}

/// `path` as one shell word: as it is when that is safe, else in single quotes.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./+=:,@%".contains(&b));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The shuffled batches of epoch `epoch` (0-based). A loader seeded once would give epoch
/// k the k-th order it draws, which a resumed run could only reach by replaying the epochs
/// before; a fresh loader per epoch, seeded from the run's seed and the epoch, gives a
/// resumed run the same orders as an uninterrupted one.
///
/// Batches move to `dev` in the loader, as in the tutorial's `WrappedDataLoader`.
fn train_loader(
    x: &Tensor,
    y: &Tensor,
    c: &Config,
    epoch: u32,
    dev: Device,
) -> DataLoader<(Tensor, Tensor)> {
    DataLoader::new(TensorDataset::new(x.clone(), y.clone()))
        .batch_size(c.batch_size as usize)
        .shuffle(true)
        .seed(epoch_seed(c.seed, epoch))
        .num_workers(c.workers as usize)
        .map(move |(x, y)| (x.to(&dev), y.to(&dev)))
}

/// The seed is spread by a large odd multiplier before the epoch is added, so that runs with
/// neighbouring seeds do not share epoch orders shifted by one epoch.
fn epoch_seed(seed: u64, epoch: u32) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(u64::from(epoch) + 1)
}

/// Settings from the flags, with the tutorial's defaults per model and optimizer.
fn new_config(a: &FitArgs) -> Result<Config> {
    let model = a.model.clone().unwrap_or_else(|| "cnn".into());
    models::build(&model)?;
    let optimizer = a.optimizer.unwrap_or(OptimizerKind::Sgd);
    let lr = a.lr.unwrap_or(match (optimizer, model.as_str()) {
        (OptimizerKind::Sgd, "logistic") => 0.5,
        (OptimizerKind::Sgd, _) => 0.1,
        _ => 0.001,
    });
    let momentum = match (optimizer, a.momentum) {
        (OptimizerKind::Sgd, Some(m)) => m,
        (OptimizerKind::Sgd, None) if model == "cnn" => 0.9,
        (OptimizerKind::Sgd, None) => 0.0,
        (_, Some(_)) => {
            return Err(fail!(
                "--momentum is for --optimizer sgd; {} has its own moment estimates",
                optimizer.name()
            ));
        }
        (_, None) => 0.0,
    };
    let weight_decay = a
        .weight_decay
        .unwrap_or(if optimizer == OptimizerKind::Adamw {
            0.01
        } else {
            0.0
        });
    check_range("--lr", lr, 0.0, f64::INFINITY, false)?;
    check_range("--momentum", momentum, 0.0, 1.0, true)?;
    check_range("--weight-decay", weight_decay, 0.0, f64::INFINITY, true)?;
    Ok(Config {
        model,
        epochs: a.epochs.unwrap_or(2),
        batch_size: a.batch_size.unwrap_or(64),
        lr,
        momentum,
        optimizer: optimizer.name().to_string(),
        weight_decay,
        seed: a.seed.unwrap_or(0),
        data: a.data.clone().unwrap_or_default(),
        device: a.device.name().into(),
        workers: a.workers.unwrap_or(0),
        limit: a.limit,
    })
}

/// `value` must lie in `[lo, hi)`, or `(lo, hi)` when `lo` itself is not allowed.
fn check_range(flag: &str, value: f64, lo: f64, hi: f64, lo_ok: bool) -> Result<()> {
    let ok = value.is_finite() && value < hi && (value > lo || (lo_ok && value == lo));
    if ok {
        return Ok(());
    }
    let lower = if lo_ok {
        format!(">= {lo}")
    } else {
        format!("> {lo}")
    };
    let upper = if hi.is_finite() {
        format!(" and < {hi}")
    } else {
        String::new()
    };
    Err(fail!("{flag} must be {lower}{upper}, got {value}"))
}

/// A resumed run keeps its recorded settings; only the number of epochs may grow.
fn resume_config(a: &FitArgs, dir: &std::path::Path) -> Result<Config> {
    if dir.is_dir() && !dir.join(run_dir::CONFIG).exists() && !run_dir::has_finished_epoch(dir) {
        // What a fit killed while loading its data leaves: nothing to resume, nothing to lose.
        return Err(fail!(
            "{} has no {}, so it is not a run folder (a fit stopped before it began writes none); \
start a run there with `firelight fit --out {0}`",
            dir.display(),
            run_dir::CONFIG
        ));
    }
    let mut config = run_dir::load_config(dir)?;
    let changed = [
        ("--lr", a.lr.is_some()),
        ("--momentum", a.momentum.is_some()),
        ("--optimizer", a.optimizer.is_some()),
        ("--weight-decay", a.weight_decay.is_some()),
        ("--batch-size", a.batch_size.is_some()),
        ("--seed", a.seed.is_some()),
        ("--limit", a.limit.is_some()),
        (
            "--model",
            a.model.as_ref().is_some_and(|m| *m != config.model),
        ),
    ];
    if let Some((flag, _)) = changed.iter().find(|(_, set)| *set) {
        return Err(fail!(
            "{flag} cannot change when resuming: {} keeps the run's settings (only --epochs may grow)",
            dir.join(run_dir::CONFIG).display()
        ));
    }
    if let Some(e) = a.epochs {
        config.epochs = e;
    }
    // Batches do not depend on the worker count, so a resumed run may use another; the
    // device may change too (the numbers then differ in the last digits).
    if let Some(w) = a.workers {
        config.workers = w;
    }
    config.device = a.device.name().into();
    Ok(config)
}

fn optimizer(c: &Config, params: Vec<firelight::Tensor>) -> Box<dyn Optimizer> {
    match c.optimizer.as_str() {
        "adam" => Box::new(Adam::new(params, c.lr).weight_decay(c.weight_decay)),
        "adamw" => Box::new(AdamW::new(params, c.lr).weight_decay(c.weight_decay)),
        _ => Box::new(
            Sgd::new(params, c.lr)
                .momentum(c.momentum)
                .weight_decay(c.weight_decay),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(seed: u64, batch_size: u32, workers: u32) -> Config {
        Config {
            model: "logistic".into(),
            epochs: 1,
            batch_size,
            lr: 0.1,
            momentum: 0.0,
            optimizer: "sgd".into(),
            weight_decay: 0.0,
            seed,
            data: Default::default(),
            device: "cpu".into(),
            workers,
            limit: None,
        }
    }

    /// The labels of epoch `epoch` in visiting order, with the batch count.
    fn order(seed: u64, epoch: u32, workers: u32) -> (usize, Vec<i64>) {
        let x = Tensor::zeros(&[10, 2]);
        let y = Tensor::arange(10);
        let dl = train_loader(&x, &y, &config(seed, 3, workers), epoch, Device::Cpu);
        let labels = dl.iter().flat_map(|(_, yb)| yb.to_vec::<i64>()).collect();
        (dl.len(), labels)
    }

    #[test]
    fn each_epoch_visits_every_example_once_in_an_order_fixed_by_seed_and_epoch() {
        let (batches, first) = order(0, 0, 0);
        assert_eq!(batches, 4);
        assert_eq!(order(0, 0, 0).1, first, "same seed and epoch, same order");
        assert_eq!(order(0, 0, 2).1, first, "worker threads keep the order");
        assert_ne!(order(0, 1, 0).1, first);
        assert_ne!(order(1, 0, 0).1, first);
        let mut sorted = first;
        sorted.sort();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
    }
}
