//! Ready-made datasets. For now, MNIST as the tutorial uses it.
pub mod mnist;

pub use mnist::Mnist;
