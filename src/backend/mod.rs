//! Storage and kernels. The tensor layer calls only what is here; each device variant of
//! [`Storage`] implements the same small set of primitives, so composite ops and autograd
//! are written once for every backend.
//!
//! Arrows point one way: `ops` is the vocabulary both backends share, `cpu/` and `gpu/`
//! build on it (never on each other), and `storage` dispatches to them.
pub(crate) mod cpu;
#[cfg(feature = "gpu")]
pub(crate) mod gpu;
pub(crate) mod ops;
mod storage;
pub mod threads;
mod workers;

pub(crate) use cpu::CpuStorage;
pub(crate) use ops::*;
pub(crate) use storage::Storage;
