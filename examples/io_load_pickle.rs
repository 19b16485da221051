//! Loads a pickle and prints its structure and the time taken; for measuring the reader.
//!
//! `cargo run --release --example io_load_pickle -- /path/to/mnist.pkl.gz [REPEATS]`
//!
//! With REPEATS it loads that many times and prints each time, to see past machine noise.
use std::time::Instant;

use firelight::io::{PickleValue, load_pickle};

fn describe(v: &PickleValue, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        PickleValue::Tuple(items) | PickleValue::List(items) => {
            println!("{pad}{} of {}", v.type_name(), items.len());
            for item in items {
                describe(item, indent + 2);
            }
        }
        PickleValue::Array(a) => println!("{pad}array {:?} {}", a.shape, a.data.dtype_name()),
        other => println!("{pad}{other:?}"),
    }
}

fn main() -> firelight::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: io_load_pickle FILE [REPEATS]");
    let repeats: usize = args
        .next()
        .map_or(1, |n| n.parse().expect("REPEATS is a number"));
    let mut times = Vec::new();
    let mut value = PickleValue::None;
    for _ in 0..repeats {
        drop(value);
        let start = Instant::now();
        value = load_pickle(&path)?;
        times.push(start.elapsed().as_secs_f64());
    }
    describe(&value, 0);
    let times: Vec<String> = times.iter().map(|t| format!("{t:.3}")).collect();
    println!("loaded {path}: seconds per load {}", times.join(" "));
    Ok(())
}
