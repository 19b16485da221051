//! Timing shared by the benchmarks (the PyTorch scripts in tools/ time the same way).
use std::time::Instant;

/// Median over `rounds` of the mean time per call of `f`, in microseconds.
pub fn time_us(rounds: usize, iters: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..iters / 10 + 1 {
        f();
    }
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_secs_f64() * 1e6 / iters as f64
        })
        .collect();
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[rounds / 2]
}

/// `results` as one JSON array of `{"<name_key>": name, "<value_key>": value}` objects,
/// the `--json` output of every bench.
pub fn json_rows<S: AsRef<str>>(results: &[(S, f64)], name_key: &str, value_key: &str) -> String {
    let items: Vec<String> = results
        .iter()
        .map(|(n, v)| {
            format!(
                "{{\"{name_key}\": \"{}\", \"{value_key}\": {v:.3}}}",
                n.as_ref()
            )
        })
        .collect();
    format!("[{}]", items.join(", "))
}
