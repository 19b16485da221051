//! Neural-network building blocks, as `torch.nn`: stateless ops in [`functional`].
pub mod functional;
