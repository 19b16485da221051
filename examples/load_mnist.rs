//! Loads MNIST into tensors and prints the shapes and the time it took (a measuring tool
//! for the loaders).
//!
//! `cargo run --release --example load_mnist -- [DIR]` (default: `$FIRELIGHT_DATA`, else
//! `data/mnist`). A folder holding `mnist.pkl.gz` takes the pickle route; one holding only
//! the four IDX files takes the IDX route.
use firelight::datasets::{Mnist, mnist};
use std::time::Instant;

fn main() -> firelight::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(mnist::data_dir, Into::into);
    let start = Instant::now();
    let m = Mnist::load(&dir)?;
    let took = start.elapsed();
    for (name, t) in [
        ("x_train", &m.x_train),
        ("y_train", &m.y_train),
        ("x_valid", &m.x_valid),
        ("y_valid", &m.y_valid),
        ("x_test", &m.x_test),
        ("y_test", &m.y_test),
    ] {
        println!("{name}: {} {}", t.shape(), t.dtype());
    }
    println!("loaded {} in {:.3} s", dir.display(), took.as_secs_f64());
    Ok(())
}
