//! `firelight eval`, and the evaluation pass that `fit` runs after every epoch.
use std::path::PathBuf;

use firelight::data::{DataLoader, TensorDataset};
use firelight::nn::{Module, Sequential, StateDict, functional as F};
use firelight::{Device, Tensor};
use serde::Serialize;

use crate::cli::{EvalArgs, ModelSource, Split};
use crate::dataset;
use crate::error::Result;
use crate::fail;
use crate::models;
use crate::run_dir;

/// Examples per forward pass when evaluating; large batches are faster and need no grads.
pub const EVAL_BATCH: usize = 1000;

pub struct Evaluation {
    pub loss: f64,
    pub accuracy: f64,
    /// Predicted digit per example.
    pub predictions: Vec<i64>,
}

/// Mean cross-entropy, accuracy and predictions of `model` (on `dev`) on `(x, y)`, without
/// autograd, with batches fetched on `workers` threads. Results are read back once, at
/// the end.
pub fn evaluate(
    model: &dyn Module,
    x: &Tensor,
    y: &Tensor,
    workers: usize,
    dev: Device,
) -> Evaluation {
    let _g = firelight::no_grad();
    model.eval();
    let n = x.shape()[0];
    let mut loss_sum = Tensor::zeros(&[]).to(&dev);
    let mut batches = Vec::new();
    let dl = DataLoader::new(TensorDataset::new(x.clone(), y.clone()))
        .batch_size(EVAL_BATCH)
        .num_workers(workers)
        .map(move |(x, y)| (x.to(&dev), y.to(&dev)));
    for (xb, yb) in &dl {
        let out = model.forward(&xb);
        let m = yb.shape()[0] as f64;
        loss_sum += F::cross_entropy(&out, &yb) * m;
        batches.push(out.argmax(1));
    }
    model.train();
    let predictions = match batches.len() {
        0 => Vec::new(),
        _ => Tensor::cat(&batches.iter().collect::<Vec<_>>(), 0).to_vec::<i64>(),
    };
    let loss_sum = loss_sum.item::<f64>();
    let labels = y.to_vec::<i64>();
    let correct = predictions
        .iter()
        .zip(&labels)
        .filter(|(p, l)| p == l)
        .count();
    Evaluation {
        loss: loss_sum / n.max(1) as f64,
        accuracy: correct as f64 / n.max(1) as f64,
        predictions,
    }
}

#[derive(Serialize)]
struct Report {
    checkpoint: PathBuf,
    model: String,
    split: &'static str,
    examples: usize,
    loss: f64,
    accuracy: f64,
    per_class_accuracy: Vec<f64>,
    /// `confusion[true][predicted]`.
    confusion: Vec<Vec<u64>>,
}

pub fn run(a: EvalArgs) -> Result<()> {
    let dev = a.device.open()?;
    let trained = load_trained(&a.source, dev)?;
    let (checkpoint, model_name, model) = (trained.checkpoint, trained.name, trained.model);
    let data = a.data.clone().or(trained.run_data);
    let loaded = dataset::load(data.as_deref(), a.json)?;
    let m = &loaded.mnist;
    let (x, y, split) = match a.split {
        Split::Valid => (&m.x_valid, &m.y_valid, "valid"),
        Split::Test => (&m.x_test, &m.y_test, "test"),
    };
    let (x, y) = (dataset::head(x, a.limit), dataset::head(y, a.limit));
    let ev = evaluate(&model, &x, &y, 0, dev);
    let labels = y.to_vec::<i64>();
    let mut confusion = vec![vec![0u64; 10]; 10];
    for (&l, &p) in labels.iter().zip(&ev.predictions) {
        confusion[l as usize][p as usize] += 1;
    }
    let per_class: Vec<f64> = (0..10)
        .map(|c| {
            let total: u64 = confusion[c].iter().sum();
            if total == 0 {
                f64::NAN
            } else {
                confusion[c][c] as f64 / total as f64
            }
        })
        .collect();
    let report = Report {
        checkpoint,
        model: model_name,
        split,
        examples: labels.len(),
        loss: ev.loss,
        accuracy: ev.accuracy,
        per_class_accuracy: per_class,
        confusion,
    };
    if a.json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("report serialises")
        );
        return Ok(());
    }
    print_report(&report, loaded.idx && split == "valid");
    Ok(())
}

/// A trained model on its device, and where it came from.
pub struct Trained {
    pub checkpoint: PathBuf,
    pub name: String,
    pub model: Sequential,
    /// The data folder the run trained on, while it still exists (none for --checkpoint).
    pub run_data: Option<PathBuf>,
}

/// The model of `--run DIR` or `--checkpoint FILE [--model NAME]`, for eval and predict.
pub fn load_trained(source: &ModelSource, dev: Device) -> Result<Trained> {
    let (checkpoint, name, run_data) = resolve(source)?;
    let state = StateDict::load(&checkpoint).map_err(|e| fail!("{e}"))?;
    let name = match name {
        Some(m) => m,
        None => models::recognise(&state)
            .map(str::to_string)
            .ok_or_else(|| {
                fail!(
                    "{} is not a checkpoint of any firelight model ({})",
                    checkpoint.display(),
                    models::NAMES.join(", ")
                )
            })?,
    };
    let model = models::load(&name, &state, &checkpoint)?.to(&dev);
    Ok(Trained {
        checkpoint,
        name,
        model,
        run_data,
    })
}

/// The checkpoint, the model if known, and the run's data folder.
fn resolve(a: &ModelSource) -> Result<(PathBuf, Option<String>, Option<PathBuf>)> {
    if let Some(file) = &a.checkpoint {
        if file.is_dir() {
            return Err(fail!(
                "checkpoint {} is a folder; a run folder goes to --run",
                file.display()
            ));
        }
        if !file.is_file() {
            return Err(fail!("checkpoint {} does not exist", file.display()));
        }
        if let Some(m) = &a.model {
            models::build(m)?;
        }
        return Ok((file.clone(), a.model.clone(), None));
    }
    let dir = a
        .run
        .as_deref()
        .expect("clap requires --run or --checkpoint");
    if dir.is_file() {
        return Err(fail!(
            "{} is a file, not a run folder (the folder that `firelight fit` writes); a model.safetensors file goes to --checkpoint",
            dir.display()
        ));
    }
    let config = run_dir::load_config(dir)?;
    let checkpoint = dir.join(run_dir::MODEL);
    if !checkpoint.is_file() {
        return Err(fail!(
            "{} has no {}: no epoch of that run finished",
            dir.display(),
            run_dir::MODEL
        ));
    }
    // fit records the data folder as an absolute path; if it has gone, fall back to the default.
    let data = config.data.is_dir().then(|| config.data.clone());
    Ok((
        checkpoint,
        Some(a.model.clone().unwrap_or(config.model)),
        data,
    ))
}

fn print_report(r: &Report, idx_valid: bool) {
    println!("checkpoint  {}", r.checkpoint.display());
    println!("model       {}", r.model);
    let note = if idx_valid {
        " (IDX data: the last 10,000 images of the training file)"
    } else {
        ""
    };
    println!("split       {} ({} examples){note}", r.split, r.examples);
    println!("loss        {:.4}", r.loss);
    println!("accuracy    {:.4}", r.accuracy);
    println!();
    println!(
        "per class   {}",
        (0..10).map(|c| format!("{c:>6}")).collect::<String>()
    );
    println!(
        "accuracy    {}",
        r.per_class_accuracy
            .iter()
            .map(|a| if a.is_nan() {
                format!("{:>6}", "-")
            } else {
                format!("{a:>6.3}")
            })
            .collect::<String>()
    );
    println!();
    println!("confusion matrix (rows: true digit, columns: predicted)");
    println!(
        "      {}",
        (0..10).map(|c| format!("{c:>6}")).collect::<String>()
    );
    for (t, row) in r.confusion.iter().enumerate() {
        println!(
            "  {t:>2}  {}",
            row.iter().map(|v| format!("{v:>6}")).collect::<String>()
        );
    }
}
