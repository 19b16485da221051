//! Stateless neural-network ops, as `torch.nn.functional` (`use firelight::nn::functional as F;`).
mod activation;
mod conv;
mod loss;
mod pool;

pub use activation::*;
pub use conv::*;
pub use loss::*;
pub use pool::*;
