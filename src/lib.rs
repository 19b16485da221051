//! firelight: PyTorch's model of work in Rust.
pub mod error;
pub use error::{Error, Result};

pub mod datasets;
pub mod io;
