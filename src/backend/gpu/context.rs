//! Finding and opening GPU adapters, and the per-device state every launch goes through:
//! the kernel cache, the buffer pool, and the batch of launches not yet submitted.
//!
//! Launches are recorded into one command encoder and submitted together when results
//! are read back (or the batch fills up), so a training step costs a few submits, not one
//! per op. Each launch's parameters go into one arena buffer written once per submit.
use super::memory::Pool;
use crate::{Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Launches per submit before the batch is sent anyway (bounds the memory that waits).
const MAX_LAUNCHES: usize = 512;
/// The parameter arena, in bytes.
const ARENA_BYTES: usize = 1 << 20;
/// Submits the host may run ahead of the GPU before it waits for the oldest: the queue
/// (and the staging memory of uploads waiting in it) stays bounded when the device is
/// slower than the host, as a software rasteriser is.
const MAX_IN_FLIGHT: usize = 16;

/// A compiled compute pipeline and its bind group layout.
pub(crate) struct Kernel {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

/// Launches recorded but not yet submitted.
struct Batch {
    encoder: Option<wgpu::CommandEncoder>,
    /// This batch's launch parameters, copied into the arena at submit.
    params: Vec<u32>,
    launches: usize,
    /// Buffers dropped while the batch may still use them: pooled after the submit, so a
    /// host write (which the queue runs before the batch) can never reach them early.
    released: Vec<wgpu::Buffer>,
    /// Submits not known to be finished, oldest first.
    in_flight: std::collections::VecDeque<wgpu::SubmissionIndex>,
}

/// One opened GPU: the wgpu device and everything kernels share on it.
pub(crate) struct Gpu {
    pub index: usize,
    /// The adapter's name and backend, for messages.
    pub name: String,
    pub device: wgpu::Device,
    queue: wgpu::Queue,
    /// In u32 words.
    params_align: usize,
    max_binding: u64,
    kernels: Mutex<HashMap<String, Arc<Kernel>>>,
    pub(super) pool: Mutex<Pool>,
    batch: Mutex<Batch>,
    arena: wgpu::Buffer,
    /// Error codes kernels raise (an index out of range), one buffer per host thread, so
    /// that a thread's read-back reports its own kernels' errors; see [`Gpu::read`].
    flags: Mutex<HashMap<std::thread::ThreadId, Arc<wgpu::Buffer>>>,
}

/// The adapters wgpu found, in the order `Device::Gpu(i)` numbers them, with why any
/// cannot be used.
struct Registry {
    searched: String,
    adapters: Vec<(wgpu::Adapter, std::result::Result<(), String>)>,
    opened: Mutex<Vec<Option<Arc<Gpu>>>>,
}

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| {
        // PRIMARY is Vulkan, Metal and DX12: never the GL adapter wgpu would otherwise
        // fall back to silently. WGPU_BACKEND overrides it, as in every wgpu program.
        let backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::PRIMARY);
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends,
            flags: wgpu::InstanceFlags::empty().with_env(),
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let mut adapters = pollster::block_on(instance.enumerate_adapters(backends));
        // Fastest kinds first, so gpu:0 is a real GPU when there is one and a software
        // rasteriser such as lavapipe only when there is nothing else.
        adapters.sort_by_key(|a| match a.get_info().device_type {
            wgpu::DeviceType::DiscreteGpu => 0,
            wgpu::DeviceType::IntegratedGpu => 1,
            wgpu::DeviceType::VirtualGpu => 2,
            wgpu::DeviceType::Other => 3,
            wgpu::DeviceType::Cpu => 4,
        });
        let adapters: Vec<_> = adapters
            .into_iter()
            .map(|a| {
                let usable = if a.features().contains(wgpu::Features::SHADER_INT64) {
                    Ok(())
                } else {
                    Err("it lacks 64-bit integer shaders (int64 tensors need them)".to_string())
                };
                (a, usable)
            })
            .collect();
        let n = adapters.len();
        Registry {
            searched: format!("wgpu backends {backends:?}"),
            adapters,
            opened: Mutex::new(vec![None; n]),
        }
    })
}

fn describe(a: &wgpu::Adapter) -> String {
    let info = a.get_info();
    format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type)
}

/// Opens GPU `index` (once; later calls share it), or says what was searched and why no
/// adapter fits.
pub(crate) fn open(index: usize) -> Result<Arc<Gpu>> {
    let r = registry();
    let mut opened = r.opened.lock().unwrap();
    if let Some(Some(g)) = opened.get(index) {
        return Ok(g.clone());
    }
    let usable: Vec<usize> = (0..r.adapters.len())
        .filter(|&i| r.adapters[i].1.is_ok())
        .collect();
    let Some(&slot) = usable.get(index) else {
        let found = if r.adapters.is_empty() {
            "found no adapter (is a Vulkan driver installed? Debian: mesa-vulkan-drivers; NVIDIA: libvulkan1 and the NVIDIA ICD)".to_string()
        } else {
            let list: Vec<String> = r
                .adapters
                .iter()
                .map(|(a, u)| match u {
                    Ok(()) => format!("{} (usable)", describe(a)),
                    Err(why) => format!("{} (not usable: {why})", describe(a)),
                })
                .collect();
            format!("found {}", list.join("; "))
        };
        return Err(Error::msg(format!(
            "gpu:{index}: no such GPU; searched {} and {found}",
            r.searched
        )));
    };
    let adapter = &r.adapters[slot].0;
    let gpu = Arc::new(Gpu::new(index, adapter)?);
    opened[index] = Some(gpu.clone());
    Ok(gpu)
}

/// The opened GPU `index`, for kernels; panics with [`open`]'s message if it cannot be.
#[track_caller]
pub(crate) fn get(index: usize) -> Arc<Gpu> {
    match open(index) {
        Ok(gpu) => gpu,
        Err(e) => panic!("{e}"),
    }
}

impl Gpu {
    fn new(index: usize, adapter: &wgpu::Adapter) -> Result<Gpu> {
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("firelight"),
            required_features: wgpu::Features::SHADER_INT64,
            required_limits: limits.clone(),
            experimental_features: Default::default(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .map_err(|e| Error::msg(format!("gpu:{index}: {}: {e}", describe(adapter))))?;
        let storage = wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_DST
            | wgpu::BufferUsages::COPY_SRC;
        let arena = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("launch parameters"),
            size: ARENA_BYTES as u64,
            usage: storage,
            mapped_at_creation: false,
        });
        Ok(Gpu {
            index,
            name: describe(adapter),
            params_align: (limits.min_storage_buffer_offset_alignment as usize / 4).max(1),
            max_binding: limits.max_storage_buffer_binding_size,
            device,
            queue,
            kernels: Mutex::new(HashMap::new()),
            pool: Mutex::new(Pool::default()),
            batch: Mutex::new(Batch {
                encoder: None,
                params: Vec::new(),
                launches: 0,
                released: Vec::new(),
                in_flight: Default::default(),
            }),
            arena,
            flags: Mutex::new(HashMap::new()),
        })
    }

    /// This thread's error flags (zeroed when made: wgpu clears new buffers).
    pub fn flags(&self) -> Arc<wgpu::Buffer> {
        let id = std::thread::current().id();
        self.flags
            .lock()
            .unwrap()
            .entry(id)
            .or_insert_with(|| {
                Arc::new(self.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("error flags"),
                    size: 16,
                    usage: wgpu::BufferUsages::STORAGE
                        | wgpu::BufferUsages::COPY_SRC
                        | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                }))
            })
            .clone()
    }

    /// The kernel named `key`, compiled from `source()` (after the shared prelude) the
    /// first time: pipeline creation costs milliseconds, a lookup well under one.
    pub fn kernel(&self, key: &str, source: impl FnOnce() -> String) -> Arc<Kernel> {
        if let Some(k) = self.kernels.lock().unwrap().get(key) {
            return k.clone();
        }
        let code = format!("{}\n{}", include_str!("wgsl/prelude.wgsl"), source());
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(key),
                source: wgpu::ShaderSource::Wgsl(code.into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(key),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
        let layout = pipeline.get_bind_group_layout(0);
        let k = Arc::new(Kernel { pipeline, layout });
        self.kernels
            .lock()
            .unwrap()
            .insert(key.to_string(), k.clone());
        k
    }

    /// Panics, naming the op, when one tensor would exceed what a shader may bind.
    pub fn check_binding(&self, bytes: u64, op: &str) {
        if bytes > self.max_binding {
            panic!(
                "{op}: a tensor of {bytes} bytes exceeds the {} bytes one shader binding of gpu:{} ({}) can address",
                self.max_binding, self.index, self.name
            );
        }
    }

    /// Records one launch of `kernel` over `groups` workgroups, binding the parameters
    /// at 0 and `buffers` at 1, 2, ... in order.
    pub fn launch(
        &self,
        kernel: &Kernel,
        params: &[u32],
        buffers: &[&wgpu::Buffer],
        groups: [u32; 3],
    ) {
        if groups.contains(&0) {
            return;
        }
        let mut b = self.batch.lock().unwrap();
        let words = params.len().max(1);
        let start = b.params.len().next_multiple_of(self.params_align);
        if (start + words) * 4 > ARENA_BYTES || b.launches >= MAX_LAUNCHES {
            self.submit(&mut b);
        }
        let start = b.params.len().next_multiple_of(self.params_align);
        b.params.resize(start, 0);
        b.params.extend_from_slice(params);
        if params.is_empty() {
            b.params.push(0);
        }
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &self.arena,
                offset: (start * 4) as u64,
                size: wgpu::BufferSize::new((words * 4) as u64),
            }),
        }];
        for (i, buf) in buffers.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry {
                binding: i as u32 + 1,
                resource: buf.as_entire_binding(),
            });
        }
        let bind = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &kernel.layout,
            entries: &entries,
        });
        let device = &self.device;
        let encoder = b
            .encoder
            .get_or_insert_with(|| device.create_command_encoder(&Default::default()));
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&kernel.pipeline);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
        }
        b.launches += 1;
    }

    /// Sends the batch to the GPU without waiting for it.
    fn submit(&self, b: &mut Batch) {
        let Some(encoder) = b.encoder.take() else {
            return;
        };
        if !b.params.is_empty() {
            self.queue
                .write_buffer(&self.arena, 0, words_as_bytes(&b.params));
        }
        let index = self.queue.submit([encoder.finish()]);
        b.in_flight.push_back(index);
        if b.in_flight.len() > MAX_IN_FLIGHT {
            let oldest = b.in_flight.pop_front().expect("more than the bound");
            let _ = self.device.poll(wgpu::PollType::Wait {
                submission_index: Some(oldest),
                timeout: None,
            });
        }
        b.params.clear();
        b.launches = 0;
        let released = std::mem::take(&mut b.released);
        let mut pool = self.pool.lock().unwrap();
        for buf in released {
            pool.put(buf);
        }
        drop(pool);
        // Lets wgpu free what finished work held; never blocks.
        let _ = self.device.poll(wgpu::PollType::Poll);
    }

    /// Takes back a buffer no tensor uses any more.
    pub(super) fn release(&self, buf: wgpu::Buffer) {
        let mut b = self.batch.lock().unwrap();
        if b.encoder.is_some() {
            b.released.push(buf);
        } else {
            drop(b);
            self.pool.lock().unwrap().put(buf);
        }
    }

    /// Writes host bytes into a buffer that no recorded launch uses (fresh from the pool).
    pub fn write(&self, buf: &wgpu::Buffer, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.queue.write_buffer(buf, 0, bytes);
        }
    }

    /// Runs everything recorded, then copies `n` bytes of `src` from `offset` back to the
    /// host, waiting for them. Panics if a kernel flagged an error since the last read,
    /// naming the op (like CUDA's device-side asserts, errors surface at a synchronisation).
    pub fn read(&self, src: &wgpu::Buffer, offset: u64, n: u64) -> Vec<u8> {
        let flag_bytes = 16u64;
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read back"),
            size: n + flag_bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let flags = self.flags();
        {
            let mut b = self.batch.lock().unwrap();
            let device = &self.device;
            let enc = b
                .encoder
                .get_or_insert_with(|| device.create_command_encoder(&Default::default()));
            if n > 0 {
                enc.copy_buffer_to_buffer(src, offset, &staging, 0, n);
            }
            enc.copy_buffer_to_buffer(&flags, 0, &staging, n, flag_bytes);
            enc.clear_buffer(&flags, 0, None);
            self.submit(&mut b);
        }
        let slice = staging.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .unwrap_or_else(|e| panic!("gpu:{}: waiting for the device failed: {e}", self.index));
        rx.recv()
            .expect("map callback ran")
            .unwrap_or_else(|e| panic!("gpu:{}: reading back failed: {e}", self.index));
        let view = slice
            .get_mapped_range()
            .unwrap_or_else(|e| panic!("gpu:{}: mapping the read-back failed: {e}", self.index));
        let bytes = view[..n as usize].to_vec();
        let flag = u32::from_le_bytes(view[n as usize..n as usize + 4].try_into().unwrap());
        drop(view);
        staging.unmap();
        if flag != 0 {
            panic!(
                "{}: an index was out of range (found on gpu:{} when results were read back)",
                super::kernels::flag_op(flag),
                self.index
            );
        }
        bytes
    }
}

/// u32 words as the bytes the GPU reads (every supported host is little-endian, as
/// every GPU is).
pub(crate) fn words_as_bytes(w: &[u32]) -> &[u8] {
    // SAFETY: u32 has no padding and any byte pattern is a valid u8.
    unsafe { std::slice::from_raw_parts(w.as_ptr().cast::<u8>(), std::mem::size_of_val(w)) }
}
