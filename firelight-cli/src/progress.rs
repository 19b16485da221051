//! Per-epoch progress: a bar on a terminal, a few plain lines otherwise (logs, CI).
use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

pub struct EpochProgress {
    bar: Option<ProgressBar>,
    label: String,
    total: u64,
    done: u64,
    next_line: u64,
    start: Instant,
    quiet: bool,
}

impl EpochProgress {
    /// `quiet` (for `--json`) shows nothing.
    pub fn new(label: String, total: u64, quiet: bool) -> EpochProgress {
        let bar = (!quiet && std::io::stdout().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stdout());
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {pos}/{len} batches  {rate}  ETA {eta}",
                )
                .expect("valid template")
                .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.1} batches/s", s.per_sec());
                })
                .progress_chars("=> "),
            );
            bar.set_message(label.clone());
            bar
        });
        EpochProgress {
            bar,
            label,
            total,
            done: 0,
            next_line: total / 4,
            start: Instant::now(),
            quiet,
        }
    }

    pub fn inc(&mut self) {
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
        } else if !self.quiet && self.done >= self.next_line.max(1) && self.done < self.total {
            let secs = self.start.elapsed().as_secs_f64();
            let rate = self.done as f64 / secs.max(1e-9);
            let eta = (self.total - self.done) as f64 / rate.max(1e-9);
            println!(
                "{}  {}/{} batches  {rate:.1} batches/s  ETA {eta:.0}s",
                self.label, self.done, self.total
            );
            self.next_line += (self.total / 4).max(1);
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
