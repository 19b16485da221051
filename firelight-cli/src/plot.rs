//! The run's curve: train and valid loss, and valid accuracy, per epoch, as SVG, under a
//! title that says which run it is (a curve copied out of its folder still tells).
use std::path::Path;

use plotters::prelude::*;

use crate::error::Result;
use crate::fail;
use crate::run_dir::{Config, EpochMetrics};

/// `cnn, sgd lr 0.1 momentum 0.9, batch 64, seed 0`: what decides the curve's shape.
pub fn title(c: &Config) -> String {
    let mut t = format!("{}, {} lr {}", c.model, c.optimizer, c.lr);
    if c.momentum != 0.0 {
        t.push_str(&format!(" momentum {}", c.momentum));
    }
    if c.weight_decay != 0.0 {
        t.push_str(&format!(" weight decay {}", c.weight_decay));
    }
    t.push_str(&format!(", batch {}, seed {}", c.batch_size, c.seed));
    if let Some(n) = c.limit {
        t.push_str(&format!(", first {n} examples"));
    }
    t
}

pub fn draw(path: &Path, rows: &[EpochMetrics], title: &str) -> Result<()> {
    draw_inner(path, rows, title).map_err(|e| fail!("cannot draw {}: {e}", path.display()))
}

fn draw_inner(
    path: &Path,
    rows: &[EpochMetrics],
    title: &str,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (900, 400)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 20))?;
    let (left, right) = root.split_horizontally(450);
    let last = rows.last().map_or(1, |r| r.epoch).max(1);
    let x_range = 0.5f64..f64::from(last) + 0.5;

    let max_loss = rows
        .iter()
        .flat_map(|r| [r.train_loss, r.valid_loss])
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-3)
        * 1.1;
    let mut loss = ChartBuilder::on(&left)
        .caption("loss", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x_range.clone(), 0.0..max_loss)?;
    loss.configure_mesh()
        .x_desc("epoch")
        .y_desc("cross-entropy loss")
        .x_labels(last.min(10) as usize)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()?;
    let series = |f: fn(&EpochMetrics) -> f64| {
        rows.iter()
            .map(move |r| (f64::from(r.epoch), f(r)))
            .collect::<Vec<_>>()
    };
    for (name, color, data) in [
        ("train", BLUE, series(|r| r.train_loss)),
        ("valid", RED, series(|r| r.valid_loss)),
    ] {
        loss.draw_series(LineSeries::new(data.clone(), color.stroke_width(2)))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        loss.draw_series(data.into_iter().map(|p| Circle::new(p, 3, color.filled())))?;
    }
    loss.configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()?;

    let lo = rows.iter().map(|r| r.valid_acc).fold(1.0f64, f64::min);
    let lo = (lo - 0.05).clamp(0.0, 0.95);
    let caption = match rows.last() {
        Some(r) => format!("valid accuracy (epoch {}: {:.4})", r.epoch, r.valid_acc),
        None => "valid accuracy".into(),
    };
    let mut acc = ChartBuilder::on(&right)
        .caption(caption, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x_range, lo..1.0)?;
    acc.configure_mesh()
        .x_desc("epoch")
        .y_desc("accuracy (fraction correct)")
        .x_labels(last.min(10) as usize)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()?;
    let data = series(|r| r.valid_acc);
    acc.draw_series(LineSeries::new(data.clone(), GREEN.stroke_width(2)))?;
    acc.draw_series(data.into_iter().map(|p| Circle::new(p, 3, GREEN.filled())))?;
    root.present()?;
    Ok(())
}
