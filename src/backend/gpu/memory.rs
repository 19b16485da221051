//! GPU memory: buffers come from a pool of freed ones by size class, so the steady-state
//! training step creates no buffers; a buffer goes back when its last tensor drops.
use super::context::Gpu;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Buffers created (not taken from the pool) since the process started, on every GPU.
pub(crate) static CREATED: AtomicUsize = AtomicUsize::new(0);

/// Freed buffers by their (rounded) size.
#[derive(Default)]
pub(crate) struct Pool {
    free: HashMap<u64, Vec<wgpu::Buffer>>,
}

impl Pool {
    pub fn put(&mut self, buf: wgpu::Buffer) {
        self.free.entry(buf.size()).or_default().push(buf);
    }

    fn take(&mut self, size: u64) -> Option<wgpu::Buffer> {
        self.free.get_mut(&size)?.pop()
    }
}

/// Sizes round up to an eighth of the power of two above them (at most 25% slack), and to 256
/// bytes at least, so that buffers of nearby sizes are shared.
fn size_class(bytes: u64) -> u64 {
    let b = bytes.max(256);
    let step = (b.next_power_of_two() / 8).max(256);
    b.next_multiple_of(step)
}

/// A device buffer owned by one storage; returned to the pool on drop.
pub(crate) struct GpuBuffer {
    raw: Option<wgpu::Buffer>,
    pub gpu: Arc<Gpu>,
}

impl GpuBuffer {
    /// A buffer of at least `bytes` bytes with unspecified contents.
    pub fn new(gpu: &Arc<Gpu>, bytes: u64, op: &str) -> GpuBuffer {
        gpu.check_binding(bytes, op);
        let size = size_class(bytes);
        let pooled = gpu.pool.lock().unwrap().take(size);
        let raw = pooled.unwrap_or_else(|| {
            CREATED.fetch_add(1, Ordering::Relaxed);
            gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size,
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        });
        GpuBuffer {
            raw: Some(raw),
            gpu: gpu.clone(),
        }
    }

    pub fn raw(&self) -> &wgpu::Buffer {
        self.raw.as_ref().expect("present until drop")
    }
}

impl Drop for GpuBuffer {
    fn drop(&mut self) {
        if let Some(raw) = self.raw.take() {
            self.gpu.release(raw);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CREATED, size_class};
    use crate::nn::{Conv2d, Linear, Module, ReLU, Sequential, functional as F};
    use crate::optim::{Optimizer, Sgd};
    use crate::{Device, Tensor};
    use std::sync::atomic::Ordering;

    /// After a few warm-up steps, a training step takes every buffer from the pool.
    #[test]
    fn a_steady_training_step_creates_no_buffers() {
        let dev = match Device::gpu(0) {
            Ok(d) => d,
            Err(e) if std::env::var("FIRELIGHT_REQUIRE_GPU").as_deref() == Ok("1") => {
                panic!("FIRELIGHT_REQUIRE_GPU=1 but no GPU: {e}")
            }
            Err(e) => return eprintln!("skipping: {e}"),
        };
        let model = Sequential::new()
            .add(Conv2d::new(1, 4, 3).stride(2).padding(1))
            .add(ReLU)
            .add(crate::nn::Flatten::new())
            .add(Linear::new(4 * 14 * 14, 10))
            .to(&dev);
        let mut opt = Sgd::new(model.parameters(), 0.1).momentum(0.9);
        let x = Tensor::rand(&[8, 1, 28, 28]).to(&dev);
        let y = Tensor::randint(0, 10, &[8]).to(&dev);
        let mut step = || {
            let loss = F::cross_entropy(&model.forward(&x), &y);
            loss.backward();
            opt.step();
            opt.zero_grad();
            loss
        };
        for _ in 0..40 {
            step();
        }
        step().item::<f32>();
        let before = CREATED.load(Ordering::Relaxed);
        for _ in 0..20 {
            step();
        }
        step().item::<f32>();
        let made = CREATED.load(Ordering::Relaxed) - before;
        assert_eq!(made, 0, "{made} buffers created in 21 steady steps");
    }

    #[test]
    fn size_classes_leave_at_most_a_quarter_spare() {
        for bytes in [
            1,
            255,
            256,
            257,
            1000,
            4096,
            5000,
            1 << 20,
            (1 << 20) + 1,
            7_340_032,
        ] {
            let c = size_class(bytes);
            assert!(c >= bytes && c >= 256, "{bytes} -> {c}");
            assert!(c <= 256.max(bytes + bytes / 4 + 256), "{bytes} -> {c}");
        }
        assert_eq!(size_class(1000), size_class(1001));
    }
}
