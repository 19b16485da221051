//! Neural-network building blocks, as `torch.nn`: the [`Module`] trait, [`Parameter`],
//! layers, initialisation ([`init`]) and stateless ops in [`functional`].
mod batchnorm;
mod conv_layers;
pub mod functional;
pub mod init;
mod layers;
mod module;
mod parameter;
mod sequential;
mod state_dict;

pub use batchnorm::{BatchNorm1d, BatchNorm2d};
pub use conv_layers::{AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d};
pub use firelight_derive::Module;
pub use layers::{Dropout, Flatten, GELU, Lambda, LeakyReLU, Linear, ReLU, Sigmoid, Tanh};
#[doc(hidden)]
pub use module::tree;
pub use module::{Module, Visit};
pub use parameter::Parameter;
pub use sequential::Sequential;
pub use state_dict::StateDict;
