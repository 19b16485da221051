//! `firelight data`: what is in the data set, and a picture of its first digits.
use firelight::Tensor;
use serde::Serialize;

use crate::cli::DataArgs;
use crate::dataset;
use crate::digit_grid;
use crate::error::Result;
use crate::fail;
use crate::image_io;

#[derive(Serialize)]
struct SplitSummary {
    split: &'static str,
    images_shape: Vec<usize>,
    images_dtype: String,
    labels_shape: Vec<usize>,
    labels_dtype: String,
    pixel_min: f32,
    pixel_max: f32,
    label_histogram: [u64; 10],
}

#[derive(Serialize)]
struct Summary {
    dir: String,
    source: &'static str,
    splits: Vec<SplitSummary>,
}

pub fn run(a: DataArgs) -> Result<()> {
    if let Some(out) = &a.out
        && out
            .extension()
            .is_none_or(|e| !e.eq_ignore_ascii_case("png"))
    {
        return Err(fail!("--out {} must name a .png file", out.display()));
    }
    let loaded = dataset::load(a.data.as_deref(), a.json)?;
    let m = &loaded.mnist;
    // The picture first: a bad --start or an --out that cannot be written is one line,
    // not a summary followed by an error.
    let shown = match (a.show, &a.out) {
        (Some(n), Some(out)) => Some(show(m, n, a.start, out)?),
        _ => None,
    };
    let splits: Vec<SplitSummary> = [
        ("train", &m.x_train, &m.y_train),
        ("valid", &m.x_valid, &m.y_valid),
        ("test", &m.x_test, &m.y_test),
    ]
    .into_iter()
    .map(|(split, x, y)| summarise(split, x, y))
    .collect();
    let summary = Summary {
        dir: loaded.dir.display().to_string(),
        source: if loaded.idx {
            "IDX files"
        } else {
            "mnist.pkl.gz"
        },
        splits,
    };
    if a.json {
        println!("{}", serde_json::to_string(&summary).expect("serialises"));
    } else {
        print_summary(&summary, loaded.idx);
    }
    if let (Some(line), false) = (shown, a.json) {
        println!("{line}");
    }
    Ok(())
}

/// Draws training digits `start..start + n` (as many as there are) into `out`; returns
/// the line that says so.
fn show(
    m: &firelight::datasets::Mnist,
    n: u32,
    start: u32,
    out: &std::path::Path,
) -> Result<String> {
    let total = m.x_train.shape()[0];
    let start = start as usize;
    if start >= total {
        return Err(fail!(
            "--start {start} is past the last training image ({})",
            total - 1
        ));
    }
    let n = (n as usize).min(total - start);
    let digits = m.x_train.slice(0, start..start + n).to_vec::<f32>();
    let labels = m.y_train.slice(0, start..start + n).to_vec::<i64>();
    let (w, h, pixels) = digit_grid::draw(&digits, &labels);
    image_io::write_gray_png(out, w, h, &pixels)?;
    let labels: Vec<String> = labels.iter().map(i64::to_string).collect();
    Ok(format!(
        "wrote training digits {start}..{} to {} (labels {})",
        start + n - 1,
        out.display(),
        labels.join(" ")
    ))
}

fn summarise(split: &'static str, x: &Tensor, y: &Tensor) -> SplitSummary {
    let pixels = x.to_vec::<f32>();
    let mut label_histogram = [0u64; 10];
    for l in y.to_vec::<i64>() {
        label_histogram[l as usize] += 1;
    }
    SplitSummary {
        split,
        images_shape: x.shape().to_vec(),
        images_dtype: dtype_name(x),
        labels_shape: y.shape().to_vec(),
        labels_dtype: dtype_name(y),
        pixel_min: pixels.iter().copied().fold(f32::INFINITY, f32::min),
        pixel_max: pixels.iter().copied().fold(f32::NEG_INFINITY, f32::max),
        label_histogram,
    }
}

/// `float32` rather than PyTorch's `torch.float32`: the column is about the data, not a library.
fn dtype_name(t: &Tensor) -> String {
    let name = t.dtype().to_string();
    name.trim_start_matches("torch.").to_string()
}

fn print_summary(s: &Summary, idx: bool) {
    println!("data   {} ({})", s.dir, s.source);
    if idx {
        println!(
            "       valid is the last 10,000 images of the IDX training file, as in mnist.pkl.gz"
        );
    }
    println!();
    println!(
        "{:<6} {:<14} {:<8} {:<10} {:<6} pixel range",
        "split", "images", "dtype", "labels", "dtype"
    );
    for p in &s.splits {
        println!(
            "{:<6} {:<14} {:<8} {:<10} {:<6} [{}, {}]",
            p.split,
            format!("{:?}", p.images_shape),
            p.images_dtype,
            format!("{:?}", p.labels_shape),
            p.labels_dtype,
            p.pixel_min,
            p.pixel_max
        );
    }
    println!();
    println!(
        "labels {}",
        (0..10).map(|c| format!("{c:>7}")).collect::<String>()
    );
    for p in &s.splits {
        println!(
            "{:<6} {}",
            p.split,
            p.label_histogram
                .iter()
                .map(|v| format!("{v:>7}"))
                .collect::<String>()
        );
    }
}
