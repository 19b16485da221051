//! Where a tensor's storage lives.
use std::fmt;

/// A compute device, chosen at run time.
///
/// Only the CPU exists today; the GPU device (wgpu) will be another variant behind a
/// cargo feature, filling the same storage seam.
///
/// ```
/// use firelight::{Device, Tensor};
/// let t = Tensor::ones(&[2]).to(&Device::Cpu);
/// assert_eq!(t.device(), Device::Cpu);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// The host processor.
    #[default]
    Cpu,
}

impl Device {
    /// The best device available: a GPU once that backend exists, else the CPU.
    pub fn gpu_if_available() -> Device {
        Device::Cpu
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
        }
    }
}
