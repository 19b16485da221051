//! The run's curve: train and valid loss, and valid accuracy, per epoch, as SVG.
use std::path::Path;

use plotters::prelude::*;

use crate::error::Result;
use crate::fail;
use crate::run_dir::EpochMetrics;

pub fn draw(path: &Path, rows: &[EpochMetrics]) -> Result<()> {
    draw_inner(path, rows).map_err(|e| fail!("cannot draw {}: {e}", path.display()))
}

fn draw_inner(
    path: &Path,
    rows: &[EpochMetrics],
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (900, 360)).into_drawing_area();
    root.fill(&WHITE)?;
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
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d(x_range.clone(), 0.0..max_loss)?;
    loss.configure_mesh()
        .x_desc("epoch")
        .x_labels(last.min(10) as usize)
        .x_label_formatter(&|x| format!("{x:.0}"))
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
    let mut acc = ChartBuilder::on(&right)
        .caption("valid accuracy", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d(x_range, lo..1.0)?;
    acc.configure_mesh()
        .x_desc("epoch")
        .x_labels(last.min(10) as usize)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()?;
    let data = series(|r| r.valid_acc);
    acc.draw_series(LineSeries::new(data.clone(), GREEN.stroke_width(2)))?;
    acc.draw_series(data.into_iter().map(|p| Circle::new(p, 3, GREEN.filled())))?;
    root.present()?;
    Ok(())
}
