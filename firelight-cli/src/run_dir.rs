//! The run folder: `config.json`, `metrics.jsonl`, `model.safetensors` (weights, for eval
//! and predict), `train_state.safetensors` (weights + optimizer state + epoch, for resume)
//! and `curve.svg`.
use std::io::Write;
use std::path::{Path, PathBuf};

use firelight::nn::StateDict;
use firelight::optim::OptimizerState;
use firelight::{DType, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{Result, io_err};
use crate::fail;

pub const CONFIG: &str = "config.json";
pub const METRICS: &str = "metrics.jsonl";
pub const MODEL: &str = "model.safetensors";
pub const TRAIN_STATE: &str = "train_state.safetensors";
pub const CURVE: &str = "curve.svg";

/// Everything that determines a run's results, so `--resume` can rebuild it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Config {
    pub model: String,
    pub epochs: u32,
    pub batch_size: u32,
    pub lr: f64,
    pub momentum: f64,
    pub optimizer: String,
    pub weight_decay: f64,
    pub seed: u64,
    pub data: PathBuf,
    pub device: String,
    pub workers: u32,
    pub limit: Option<u64>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EpochMetrics {
    pub epoch: u32,
    pub train_loss: f64,
    pub valid_loss: f64,
    pub valid_acc: f64,
    pub seconds: f64,
}

/// `runs/<model>-<UTC timestamp>`, e.g. `runs/cnn-20261122-081500`.
pub fn default_dir(model: &str) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    PathBuf::from("runs").join(format!(
        "{model}-{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    ))
}

/// Howard Hinnant's days-to-civil-date algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Creates the folder, and proves it can be written before any training time is spent.
pub fn prepare(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| io_err("create the run folder", dir, e))?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"").map_err(|e| io_err("write in the run folder", dir, e))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Writes via a temporary file and a rename, so readers never see half a file. The
/// temporary is named as `StateDict::save` names its own, `.{name}.tmp-{pid}`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().expect("run folder files have names");
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_err("write", path, e)
    })
}

/// Removes what an interrupted write left behind: temporaries (`.NAME.tmp-PID`, or
/// `NAME.tmp-PID` from older versions) of processes other than this one. A run folder has
/// one writer at a time, so any other process's temporary is from a write that never ended.
pub fn remove_stale_temporaries(dir: &Path) -> Result<()> {
    let own = format!(".tmp-{}", std::process::id());
    let entries = std::fs::read_dir(dir).map_err(|e| io_err("read the run folder", dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stale = name
            .rsplit_once(".tmp-")
            .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
            && !name.ends_with(&own);
        if stale && entry.file_type().is_ok_and(|t| t.is_file()) {
            // Best effort: a temporary that cannot be removed harms nothing.
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

pub fn save_config(dir: &Path, c: &Config) -> Result<()> {
    let text = serde_json::to_string_pretty(c).expect("config serialises");
    write_atomic(&dir.join(CONFIG), format!("{text}\n").as_bytes())
}

pub fn load_config(dir: &Path) -> Result<Config> {
    let path = dir.join(CONFIG);
    if dir.is_file() {
        return Err(fail!(
            "{} is a file, not a run folder (the folder that `firelight fit` writes)",
            dir.display()
        ));
    }
    if !dir.is_dir() {
        return Err(fail!("run folder {} does not exist", dir.display()));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| {
        fail!(
            "{} is not a run folder written by `firelight fit` ({CONFIG}: {e})",
            dir.display()
        )
    })?;
    serde_json::from_str(&text)
        .map_err(|e| fail!("{}: not a firelight run config: {e}", path.display()))
}

/// Whether any epoch of the run in `dir` finished: its weights, its training state or a
/// metrics line was written. Such a folder is never reused for a new run.
pub fn has_finished_epoch(dir: &Path) -> bool {
    dir.join(MODEL).exists()
        || dir.join(TRAIN_STATE).exists()
        || std::fs::read_to_string(dir.join(METRICS))
            .map_or(dir.join(METRICS).exists(), |t| !t.trim().is_empty())
}

/// Rewrites the metrics file with `rows` (atomically: it is small).
pub fn save_metrics(dir: &Path, rows: &[EpochMetrics]) -> Result<()> {
    let mut text = String::new();
    for r in rows {
        text.push_str(&serde_json::to_string(r).expect("metrics serialise"));
        text.push('\n');
    }
    write_atomic(&dir.join(METRICS), text.as_bytes())
}

pub fn load_metrics(dir: &Path) -> Result<Vec<EpochMetrics>> {
    let path = dir.join(METRICS);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err("read", &path, e)),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| fail!("{}: bad line: {e}", path.display())))
        .collect()
}

/// What resuming needs, in one file so that it is always consistent with itself.
pub struct TrainState {
    pub epoch: u32,
    pub model: StateDict,
    pub optimizer: OptimizerState,
}

const EPOCH_KEY: &str = "epoch";
const MODEL_PREFIX: &str = "model.";
const OPT_PREFIX: &str = "optimizer.";
// Scalars (step counts, hyperparameters) travel as f64 tensors beside the buffers.
const SCALAR_PREFIX: &str = "optimizer_scalar.";

pub fn save_train_state(dir: &Path, s: &TrainState) -> Result<()> {
    let mut sd = StateDict::new();
    sd.insert(EPOCH_KEY, Tensor::from_vec(vec![i64::from(s.epoch)], &[1]));
    for (n, t) in s.model.iter() {
        sd.insert(format!("{MODEL_PREFIX}{n}"), t.clone());
    }
    for (n, t) in s.optimizer.named_tensors() {
        sd.insert(format!("{OPT_PREFIX}{n}"), t);
    }
    for (n, v) in s.optimizer.named_scalars() {
        sd.insert(
            format!("{SCALAR_PREFIX}{n}"),
            Tensor::from_vec(vec![v], &[1]),
        );
    }
    // StateDict::save writes to a temporary file and renames it: atomic.
    Ok(sd.save(dir.join(TRAIN_STATE))?)
}

/// The run's training state, or `None` when no epoch has finished (none was saved yet).
pub fn load_train_state(dir: &Path) -> Result<Option<TrainState>> {
    let path = dir.join(TRAIN_STATE);
    if !path.is_file() {
        return Ok(None);
    }
    let sd = StateDict::load(&path)?;
    let bad = |what: String| fail!("{}: not a firelight training state: {what}", path.display());
    let epoch = sd
        .get(EPOCH_KEY)
        .ok_or_else(|| bad(format!("it has no {EPOCH_KEY:?} tensor")))?;
    let epoch = one_number(EPOCH_KEY, epoch).map_err(bad)?;
    if epoch.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&epoch) {
        return Err(bad(format!(
            "{EPOCH_KEY:?} is {epoch}, not a count of epochs"
        )));
    }
    let mut model = StateDict::new();
    let (mut tensors, mut scalars) = (Vec::new(), Vec::new());
    for (n, t) in sd.iter() {
        if let Some(rest) = n.strip_prefix(MODEL_PREFIX) {
            model.insert(rest, t.clone());
        } else if let Some(rest) = n.strip_prefix(OPT_PREFIX) {
            tensors.push((rest.to_string(), t.clone()));
        } else if let Some(rest) = n.strip_prefix(SCALAR_PREFIX) {
            scalars.push((rest.to_string(), one_number(n, t).map_err(bad)?));
        } else if n != EPOCH_KEY {
            return Err(bad(format!("unexpected tensor {n:?}")));
        }
    }
    let optimizer = OptimizerState::from_named(tensors, scalars)
        .map_err(|e| fail!("{}: {e}", path.display()))?;
    Ok(Some(TrainState {
        epoch: epoch as u32,
        model,
        optimizer,
    }))
}

/// The single number a scalar tensor holds, whatever its dtype.
fn one_number(name: &str, t: &Tensor) -> std::result::Result<f64, String> {
    if t.numel() != 1 {
        return Err(format!(
            "tensor {name:?} should hold one number, but has shape {:?}",
            t.shape()
        ));
    }
    Ok(t.to_dtype(DType::F64).to_vec::<f64>()[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_414), (2025, 11, 22));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
