//! Where a tensor's storage lives.
use std::fmt;

/// A compute device, chosen at run time, like `torch.device`.
///
/// `Device::Cpu` always works. `Device::Gpu(i)` is the `i`-th GPU adapter that wgpu finds
/// (Vulkan, Metal or DX12; fastest kinds first) in builds with the `gpu` cargo feature;
/// get one with [`Device::gpu`], which checks that it exists, or take the tutorial's
/// `dev = cuda if available else cpu` with [`Device::gpu_if_available`].
///
/// ```
/// use firelight::{Device, Tensor};
/// let dev = Device::gpu_if_available(); // the CPU where no GPU is found
/// let t = Tensor::ones(&[2]).to(&dev);
/// assert_eq!(t.device(), dev);
/// assert_eq!(Device::Cpu.to_string(), "cpu");
/// assert_eq!(Device::Gpu(0).to_string(), "gpu:0");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// The host processor.
    #[default]
    Cpu,
    /// The GPU adapter with this index (see [`Device::gpu`]).
    Gpu(usize),
}

impl Device {
    /// The `index`-th GPU, opened on first use; the error says which adapters were
    /// searched and why none fits (no driver, a missing shader feature, a build without
    /// the `gpu` feature).
    ///
    /// ```
    /// match firelight::Device::gpu(0) {
    ///     Ok(dev) => println!("training on {dev}"),
    ///     Err(e) => println!("no GPU: {e}"),
    /// }
    /// ```
    pub fn gpu(index: usize) -> crate::Result<Device> {
        #[cfg(feature = "gpu")]
        {
            crate::backend::gpu::open(index).map(|_| Device::Gpu(index))
        }
        #[cfg(not(feature = "gpu"))]
        {
            Err(crate::Error::msg(format!(
                "gpu:{index}: this build of firelight has no GPU support (rebuild with `--features gpu`)"
            )))
        }
    }

    /// The first GPU when one can be opened, else the CPU (the tutorial's
    /// `torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")`).
    ///
    /// ```
    /// let dev = firelight::Device::gpu_if_available();
    /// assert_eq!(dev.is_gpu(), firelight::Device::is_gpu_available());
    /// ```
    pub fn gpu_if_available() -> Device {
        Device::gpu(0).unwrap_or(Device::Cpu)
    }

    /// Whether [`Device::gpu`]`(0)` succeeds, like `torch.cuda.is_available()`.
    pub fn is_gpu_available() -> bool {
        Device::gpu(0).is_ok()
    }

    /// True for a GPU device.
    pub fn is_gpu(&self) -> bool {
        matches!(self, Device::Gpu(_))
    }

    /// The device as one number for an atomic: the CPU is `u64::MAX`, GPU `i` is `i`.
    pub(crate) fn to_bits(self) -> u64 {
        match self {
            Device::Cpu => u64::MAX,
            Device::Gpu(i) => i as u64,
        }
    }

    pub(crate) fn from_bits(bits: u64) -> Device {
        if bits == u64::MAX {
            Device::Cpu
        } else {
            Device::Gpu(bits as usize)
        }
    }
}

/// What every GPU operation says in a build without the `gpu` feature.
#[cfg(not(feature = "gpu"))]
#[cold]
#[track_caller]
pub(crate) fn no_gpu_support() -> ! {
    panic!("this build of firelight has no GPU support: rebuild with `--features gpu`")
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Gpu(i) => write!(f, "gpu:{i}"),
        }
    }
}
