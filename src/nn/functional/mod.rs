//! Stateless neural-network ops, as `torch.nn.functional` (`use firelight::nn::functional as F;`).
mod activation;
mod conv;
mod loss;
mod pool;

pub use activation::*;
#[allow(unused_imports)] // conv and pool are filled by other work
pub use conv::*;
pub use loss::*;
#[allow(unused_imports)]
pub use pool::*;
