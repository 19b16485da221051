//! Stateless neural-network ops, as `torch.nn.functional` (`use firelight::nn::functional as F;`).
//!
//! Every op takes PyTorch's required arguments in PyTorch's order, and `op(..)` uses
//! PyTorch's defaults for the rest. Keyword arguments go through `op_with(.., options)`,
//! where the options value starts from PyTorch's defaults and has one setter per keyword,
//! named as the keyword:
//!
//! ```
//! use firelight::{nn::functional as F, Tensor};
//! let x = Tensor::randn(&[8, 1, 28, 28]);
//! let w = Tensor::randn(&[16, 1, 3, 3]);
//! // F.conv2d(x, w, None, stride=2, padding=1)
//! let y = F::conv2d_with(&x, &w, None, F::Conv2dOptions::new().stride(2).padding(1));
//! assert_eq!(y.shape(), &[8, 16, 14, 14]);
//! // F.avg_pool2d(y, 2, divisor_override=1)
//! let s = F::avg_pool2d_with(&y, 2, F::AvgPool2dOptions::new().divisor_override(1));
//! assert_eq!(s.shape(), &[8, 16, 7, 7]);
//! // F.cross_entropy(logits, target, label_smoothing=0.1)
//! let (logits, target) = (Tensor::randn(&[4, 10]), Tensor::tensor([1, 0, 9, 3]));
//! let loss = F::cross_entropy_with(&logits, &target, F::CrossEntropyOptions::new().label_smoothing(0.1));
//! assert!(loss.item::<f32>() > 0.0);
//! ```
//!
//! An options value can only be built this way (its fields are public to read, and the
//! struct is `#[non_exhaustive]`), so every call reads the same.

/// Defines a keyword-options struct: public fields with PyTorch's defaults, `new()` (the
/// same as `Default`) and one setter per field named as the keyword, each with its example.
macro_rules! keyword_options {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[doc = $fdoc:literal])+
                $field:ident: $fty:ty = $default:expr,
                fn $setter:ident($arg:ident: $aty:ty) => $conv:expr,
                example: $ex:literal;
            )*
        }
    ) => {
        $(#[$meta])*
        #[non_exhaustive]
        pub struct $name {
            $(
                $(#[doc = $fdoc])+
                pub $field: $fty,
            )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    $($field: $default,)*
                }
            }
        }

        impl $name {
            /// PyTorch's defaults for every keyword (the same as `Default`).
            pub fn new() -> Self {
                Self::default()
            }

            $(
                #[doc = concat!("Sets `", stringify!($field), "`, PyTorch's `", stringify!($field), "=` keyword.")]
                #[doc = ""]
                #[doc = "```"]
                #[doc = "use firelight::{Tensor, nn::functional::*};"]
                #[doc = $ex]
                #[doc = "```"]
                pub fn $setter(mut self, $arg: $aty) -> Self {
                    self.$field = $conv;
                    self
                }
            )*
        }
    };
}

mod activation;
mod conv;
mod loss;
mod pool;

pub use activation::*;
pub use conv::*;
pub use loss::*;
pub use pool::*;
