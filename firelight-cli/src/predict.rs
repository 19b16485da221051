//! `firelight predict`: digit pictures through a trained model.
use std::path::PathBuf;
use std::process::ExitCode;

use firelight::Tensor;
use firelight::nn::{Module, functional as F};
use serde::Serialize;

use crate::cli::PredictArgs;
use crate::error::{Result, one_line};
use crate::eval;
use crate::image_io;

#[derive(Serialize)]
struct Prediction {
    image: String,
    digit: usize,
    probabilities: Vec<f32>,
}

/// Classifies every picture that can be read. Each one that cannot gets its own `error:`
/// line and makes the exit status 1, but does not keep the others from their answers.
pub fn run(a: PredictArgs) -> Result<ExitCode> {
    let dev = a.device.open()?;
    let model = eval::load_trained(&a.source, dev)?.model;
    model.eval();
    // Every picture is read before any is classified, so that one forward pass takes them all.
    let mut inputs = Vec::with_capacity(a.images.len() * 784);
    let mut good: Vec<&PathBuf> = Vec::with_capacity(a.images.len());
    for path in &a.images {
        match image_io::read_gray(path).and_then(|gray| image_io::to_mnist(gray, path)) {
            Ok(pixels) => {
                inputs.extend(pixels);
                good.push(path);
            }
            Err(e) => eprintln!("error: {}", one_line(&e.0)),
        }
    }
    let status = if good.len() == a.images.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    };
    if good.is_empty() {
        return Ok(status);
    }
    let x = Tensor::from_vec(inputs, &[good.len(), 784]).to(&dev);
    let probs = {
        let _g = firelight::no_grad();
        F::softmax(&model.forward(&x), 1).to_vec::<f32>()
    };
    let predictions: Vec<Prediction> = good
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
        return Ok(status);
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
    Ok(status)
}
