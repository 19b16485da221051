//! `firelight predict`: digit pictures through a trained model.
use firelight::Tensor;
use firelight::nn::{Module, StateDict, functional as F};
use serde::Serialize;

use crate::cli::PredictArgs;
use crate::error::Result;
use crate::fail;
use crate::image_io;
use crate::models;
use crate::run_dir;

#[derive(Serialize)]
struct Prediction {
    image: String,
    digit: usize,
    probabilities: Vec<f32>,
}

pub fn run(a: PredictArgs) -> Result<()> {
    let config = run_dir::load_config(&a.run)?;
    let checkpoint = a.run.join(run_dir::MODEL);
    if !checkpoint.is_file() {
        return Err(fail!(
            "{} has no {}: no epoch of that run finished",
            a.run.display(),
            run_dir::MODEL
        ));
    }
    let dev = a.device.open()?;
    let state = StateDict::load(&checkpoint)?;
    let model = models::load(&config.model, &state, &checkpoint)?.to(&dev);
    model.eval();
    // Every picture is read before any is classified, so a bad one fails the command early.
    let mut inputs = Vec::with_capacity(a.images.len() * 784);
    for path in &a.images {
        let gray = image_io::read_gray(path)?;
        inputs.extend(image_io::to_mnist(gray, path)?);
    }
    let x = Tensor::from_vec(inputs, &[a.images.len(), 784]).to(&dev);
    let probs = {
        let _g = firelight::no_grad();
        F::softmax(&model.forward(&x), 1).to_vec::<f32>()
    };
    let predictions: Vec<Prediction> = a
        .images
        .iter()
        .zip(probs.chunks_exact(10))
        .map(|(path, p)| Prediction {
            image: path.display().to_string(),
            digit: (0..10)
                .max_by(|&i, &j| p[i].total_cmp(&p[j]))
                .expect("ten classes"),
            probabilities: p.to_vec(),
        })
        .collect();
    if a.json {
        println!(
            "{}",
            serde_json::to_string(&predictions).expect("serialises")
        );
        return Ok(());
    }
    let width = predictions
        .iter()
        .map(|p| p.image.len())
        .max()
        .unwrap_or(5)
        .max(5);
    println!(
        "{:width$}  digit  {}",
        "image",
        (0..10)
            .map(|c| format!("{:>6}", format!("p({c})")))
            .collect::<String>()
    );
    for p in &predictions {
        println!(
            "{:width$}  {:>5}  {}",
            p.image,
            p.digit,
            p.probabilities
                .iter()
                .map(|v| format!("{v:>6.3}"))
                .collect::<String>()
        );
    }
    Ok(())
}
