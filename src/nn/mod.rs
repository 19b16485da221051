//! Neural-network building blocks, as `torch.nn`: the [`Module`] trait, [`Parameter`],
//! layers, initialisation ([`init`]) and stateless ops in [`functional`].
/// Setters on a layer for keyword arguments that its options value holds: each sets the
/// keyword in `self.$field` through the options' own setter, with its example.
macro_rules! layer_keywords {
    (
        $layer:ident . $field:ident : $opts:ident {
            $( $setter:ident($arg:ident: $aty:ty), example: $ex:literal; )*
        }
    ) => {
        impl $layer {
            $(
                #[doc = concat!("Sets `", stringify!($setter), "`, PyTorch's `", stringify!($setter), "=` keyword, as [`", stringify!($opts), "::", stringify!($setter), "`](crate::nn::functional::", stringify!($opts), "::", stringify!($setter), ") does.")]
                #[doc = ""]
                #[doc = "```"]
                #[doc = "use firelight::nn::*;"]
                #[doc = $ex]
                #[doc = "```"]
                pub fn $setter(mut self, $arg: $aty) -> Self {
                    self.$field = self.$field.$setter($arg);
                    self
                }
            )*
        }
    };
}

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
