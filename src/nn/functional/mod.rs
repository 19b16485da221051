//! Stateless neural-network ops, as `torch.nn.functional` (`use firelight::nn::functional as F;`).
mod activation;
mod conv;
mod loss;
mod pool;

#[allow(unused_imports)] // empty until the nn issue fills it
pub use activation::*;
pub use conv::*;
#[allow(unused_imports)] // empty until the nn issue fills it
pub use loss::*;
pub use pool::*;
