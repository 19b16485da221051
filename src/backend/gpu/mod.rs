//! The GPU backend: wgpu buffers and our own WGSL compute kernels, implementing the same
//! primitives as `cpu/` (the files beside this one hold the kernels, by family).
//!
//! f32 is the working dtype; int64 is stored natively (adapters must offer 64-bit integer
//! shaders), bytes and bools as one u32 each; float64 is refused, as PyTorch's MPS device
//! does. Everything runs on the device: the host only records launches, and reads back
//! for `item()`, `to_vec()`, printing and moves to the CPU.
#[cfg(target_endian = "big")]
compile_error!("the gpu feature needs a little-endian host");

pub(crate) mod context;
pub(crate) mod conv;
mod elementwise;
mod index;
mod kernels;
mod loss;
mod matmul;
mod memory;
pub(crate) mod pool;
mod reduce;

pub(crate) use context::open;
use context::{Gpu, words_as_bytes};
use kernels::{Params, elem_bytes, grid, wgsl_type};
use memory::GpuBuffer;

use super::cpu::CpuStorage;
use crate::layout::Layout;
use crate::{DType, Device};
use std::sync::Arc;

/// Device memory for one tensor storage.
pub(crate) struct GpuStorage {
    buf: GpuBuffer,
    len: usize,
    dtype: DType,
}

impl GpuStorage {
    /// Uninitialised storage for `len` elements of `dtype` on `gpu`.
    #[track_caller]
    fn empty(gpu: &Arc<Gpu>, len: usize, dtype: DType, op: &str) -> GpuStorage {
        wgsl_type(dtype, op);
        GpuStorage {
            buf: GpuBuffer::new(gpu, len as u64 * elem_bytes(dtype), op),
            len,
            dtype,
        }
    }

    /// Uninitialised storage on this one's GPU.
    #[track_caller]
    fn empty_like(&self, len: usize, dtype: DType, op: &str) -> GpuStorage {
        GpuStorage::empty(self.gpu(), len, dtype, op)
    }

    fn gpu(&self) -> &Arc<Gpu> {
        &self.buf.gpu
    }

    fn raw(&self) -> &wgpu::Buffer {
        self.buf.raw()
    }

    pub fn dtype(&self) -> DType {
        self.dtype
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn device(&self) -> Device {
        Device::Gpu(self.gpu().index)
    }

    /// Copies host memory to GPU `index`.
    #[track_caller]
    pub fn upload(s: &CpuStorage, index: usize) -> GpuStorage {
        let gpu = context::get(index);
        let out = GpuStorage::empty(&gpu, s.len(), s.dtype(), "to");
        match s {
            CpuStorage::F32(v) => gpu.write(out.raw(), bytes_of(v)),
            CpuStorage::I64(v) => gpu.write(out.raw(), bytes_of(v)),
            CpuStorage::U8(v) => {
                let w: Vec<u32> = v.iter().map(|&b| b as u32).collect();
                gpu.write(out.raw(), words_as_bytes(&w));
            }
            CpuStorage::Bool(v) => {
                let w: Vec<u32> = v.iter().map(|&b| b as u32).collect();
                gpu.write(out.raw(), words_as_bytes(&w));
            }
            CpuStorage::F64(_) => unreachable!("refused by empty"),
        }
        out
    }

    /// The elements `l` selects, copied to the host (this waits for the GPU).
    pub fn download(&self, l: &Layout) -> CpuStorage {
        let dense;
        let (src, start) = match l.contiguous_range() {
            Some(r) => (self, r.start),
            None => {
                dense = self.copy_strided(l);
                (&dense, 0)
            }
        };
        let n = l.numel();
        let eb = elem_bytes(self.dtype);
        let bytes = self.gpu().read(src.raw(), start as u64 * eb, n as u64 * eb);
        match self.dtype {
            DType::F32 => CpuStorage::F32(from_bytes(&bytes, f32::from_le_bytes)),
            DType::I64 => CpuStorage::I64(from_bytes(&bytes, i64::from_le_bytes)),
            DType::U8 => CpuStorage::U8(from_bytes(&bytes, |w: [u8; 4]| w[0])),
            DType::Bool => CpuStorage::Bool(from_bytes(&bytes, |w: [u8; 4]| w[0] != 0)),
            DType::F64 => unreachable!("never stored on the GPU"),
        }
    }

    /// `n` copies of `value` (cast to `dtype` as the CPU casts).
    #[track_caller]
    pub fn full(n: usize, value: f64, dtype: DType, index: usize) -> GpuStorage {
        let gpu = context::get(index);
        let out = GpuStorage::empty(&gpu, n, dtype, "full");
        elementwise::fill(&out, value);
        out
    }

    /// `n` uniform `[0, 1)` values, from a seed the global generator gives.
    #[track_caller]
    pub fn rand(n: usize, dtype: DType, index: usize) -> GpuStorage {
        let gpu = context::get(index);
        let out = GpuStorage::empty(&gpu, n, dtype, "rand");
        let seed = crate::tensor::random::with_global(|g| g.next_u64());
        elementwise::rand(&out, seed);
        out
    }
}

fn bytes_of<T: Copy>(v: &[T]) -> &[u8] {
    // SAFETY: f32 and i64 have no padding, and any byte pattern is a valid u8.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), std::mem::size_of_val(v)) }
}

fn from_bytes<T, const N: usize>(b: &[u8], f: impl Fn([u8; N]) -> T) -> Vec<T> {
    b.chunks_exact(N)
        .map(|c| f(c.try_into().expect("chunks of N")))
        .collect()
}

/// The storage with `l`'s elements in row-major order, and where they start: `s` itself
/// when `l` is contiguous, else a device copy kept alive in `keep`.
fn row_major<'a>(
    s: &'a GpuStorage,
    l: &Layout,
    keep: &'a mut Option<GpuStorage>,
) -> (&'a GpuStorage, usize) {
    match l.contiguous_range() {
        Some(r) => (s, r.start),
        None => (keep.insert(s.copy_strided(l)), 0),
    }
}

/// A launch of a one-dimensional kernel over `threads` elements.
fn launch(
    gpu: &Gpu,
    key: &str,
    source: impl FnOnce() -> String,
    p: Params,
    bufs: &[&wgpu::Buffer],
) {
    let threads = p.0[0] as usize;
    let k = gpu.kernel(key, source);
    gpu.launch(&k, &p.0, bufs, grid(threads));
}
