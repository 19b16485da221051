//! Stateless neural-network ops, as `torch.nn.functional` (`use firelight::nn::functional as F;`).
mod activation;
mod conv;
mod loss;
mod pool;

#[allow(unused_imports)] // empty until the nn issue fills it
pub use activation::*;
#[allow(unused_imports)] // conv and pool are filled by other work
pub use conv::*;
#[allow(unused_imports)] // empty until the nn issue fills it
pub use loss::*;
#[allow(unused_imports)]
pub use pool::*;
