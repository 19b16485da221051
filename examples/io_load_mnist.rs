//! Loads MNIST with `datasets::mnist::load_arrays` and prints the shapes and the time taken.
//!
//! `cargo run --release --example io_load_mnist -- [DIR]` (default: `mnist::data_dir()`).
//! A folder holding `mnist.pkl.gz` takes the pickle route; one holding only the four IDX
//! files takes the IDX route.
use std::time::Instant;

use firelight::datasets::mnist;

fn main() -> firelight::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(mnist::data_dir, Into::into);
    let start = Instant::now();
    let m = mnist::load_arrays(&dir)?;
    let took = start.elapsed();
    for (name, a) in [
        ("x_train", &m.x_train),
        ("y_train", &m.y_train),
        ("x_valid", &m.x_valid),
        ("y_valid", &m.y_valid),
        ("x_test", &m.x_test),
        ("y_test", &m.y_test),
    ] {
        println!("{name}: {:?} {}", a.shape, a.data.dtype_name());
    }
    println!("loaded {} in {:.3} s", dir.display(), took.as_secs_f64());
    Ok(())
}
