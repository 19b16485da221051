//! Reading arrays from the files people bring: pickled numpy arrays (such as the tutorial's
//! `mnist.pkl.gz`) and IDX files.
//!
//! Everything here returns plain [`Array`]s; turning them into tensors is the Tensor side's
//! job. Every failure is a [`crate::Error`] naming the file and what was wrong with it.
pub mod array;
pub mod idx;
pub mod pickle;
mod read;

pub use array::{Array, ArrayData};
pub use idx::load_idx;
pub use pickle::{PickleValue, load_pickle, load_pickle_gz, parse_pickle};
