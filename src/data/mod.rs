//! Datasets and data loading, as `torch.utils.data`: the [`Dataset`] trait,
//! [`TensorDataset`], [`Subset`], [`ConcatDataset`], [`random_split`], samplers, collation,
//! and the [`DataLoader`] with shuffling, worker threads and a `.map` step.
//!
//! ```
//! use firelight::{Tensor, data::{DataLoader, TensorDataset}};
//! let x = Tensor::randn(&[100, 784]);
//! let y = Tensor::randint(0, 10, &[100]);
//! let train_dl = DataLoader::new(TensorDataset::new(x, y)).batch_size(64).shuffle(true);
//! assert_eq!(train_dl.len(), 2);
//! for epoch in 0..2 {
//!     for (xb, yb) in &train_dl {
//!         assert_eq!(xb.shape()[1], 784);
//!         assert_eq!(xb.shape()[0], yb.shape()[0]);
//!     }
//! }
//! ```
mod collate;
mod dataset;
mod loader;
mod sampler;
mod split;
mod tensor_dataset;
mod workers;

pub use collate::{Collate, default_collate};
pub use dataset::{ConcatDataset, Dataset, Subset};
pub use loader::{DataLoader, Iter};
pub use sampler::{
    BatchSampler, FnSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
    WeightedRandomSampler,
};
pub use split::{Lengths, random_split, random_split_with};
pub use tensor_dataset::{TensorDataset, Tensors};
