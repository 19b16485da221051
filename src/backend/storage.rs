//! The `Storage` enum: one variant per device, each primitive dispatched to its backend.
//! Every arm is written out, so a reader sees which backend runs what; a pair of storages
//! on different devices is a bug of the tensor layer, which checks devices first.
use super::cpu::{self, CpuStorage};
#[cfg(feature = "gpu")]
use super::gpu::{self, GpuStorage};
use super::ops::{
    AvgDivisor, BinaryOp, ClassLoss, CmpOp, Conv2dGeom, Pool2dGeom, ReduceOp, UnaryOp,
};
use crate::layout::Layout;
use crate::{DType, Device};

/// The memory behind one or more tensors (views share it).
pub(crate) enum Storage {
    Cpu(CpuStorage),
    #[cfg(feature = "gpu")]
    Gpu(GpuStorage),
}

/// The panic for an op given storages on two devices, in PyTorch's words.
#[cold]
#[track_caller]
fn mixed(op: &str, a: &Storage, b: &Storage) -> ! {
    crate::tensor::device_mismatch(op, a.device(), b.device())
}

/// Borrows an optional operand as the CPU's, or panics naming the op.
#[track_caller]
fn cpu_opt<'a>(
    op: &str,
    x: &Storage,
    w: Option<(&'a Storage, &'a Layout)>,
) -> Option<(&'a CpuStorage, &'a Layout)> {
    match w {
        None => None,
        Some((Storage::Cpu(w), wl)) => Some((w, wl)),
        #[allow(unreachable_patterns)]
        Some((other, _)) => mixed(op, x, other),
    }
}

#[cfg(feature = "gpu")]
#[track_caller]
fn gpu_opt<'a>(
    op: &str,
    x: &Storage,
    w: Option<(&'a Storage, &'a Layout)>,
) -> Option<(&'a GpuStorage, &'a Layout)> {
    match w {
        None => None,
        Some((Storage::Gpu(w), wl)) => Some((w, wl)),
        Some((other, _)) => mixed(op, x, other),
    }
}

impl Storage {
    pub fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => s.dtype(),
        }
    }

    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => s.device(),
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            Storage::Cpu(s) => s.len(),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => s.len(),
        }
    }

    /// The host storage; callers move GPU tensors to the CPU first.
    pub fn cpu(&self) -> &CpuStorage {
        match self {
            Storage::Cpu(s) => s,
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => panic!(
                "internal: a {} storage was read as host memory without moving it to the cpu",
                s.device()
            ),
        }
    }

    /// A contiguous copy of the elements `l` selects, on `device`.
    #[track_caller]
    pub fn to_device(&self, l: &Layout, device: Device) -> Storage {
        match (self, device) {
            (Storage::Cpu(s), Device::Cpu) => Storage::Cpu(s.copy_strided(l)),
            #[cfg(feature = "gpu")]
            (Storage::Cpu(s), Device::Gpu(i)) => {
                Storage::Gpu(GpuStorage::upload(&s.copy_strided(l), i))
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(s), Device::Cpu) => Storage::Cpu(s.download(l)),
            #[cfg(feature = "gpu")]
            (Storage::Gpu(s), Device::Gpu(i)) if s.device() == Device::Gpu(i) => {
                Storage::Gpu(s.copy_strided(l))
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(s), Device::Gpu(i)) => {
                Storage::Gpu(GpuStorage::upload(&s.download(l), i))
            }
            #[cfg(not(feature = "gpu"))]
            (_, Device::Gpu(_)) => crate::device::no_gpu_support(),
        }
    }

    #[track_caller]
    pub fn full(n: usize, value: f64, dtype: DType, device: Device) -> Storage {
        match device {
            Device::Cpu => Storage::Cpu(CpuStorage::full(n, value, dtype)),
            #[cfg(feature = "gpu")]
            Device::Gpu(i) => Storage::Gpu(GpuStorage::full(n, value, dtype, i)),
            #[cfg(not(feature = "gpu"))]
            Device::Gpu(_) => crate::device::no_gpu_support(),
        }
    }

    /// `n` uniform values in `[0, 1)` of a float `dtype`, drawn from the global generator.
    #[track_caller]
    pub fn rand(n: usize, dtype: DType, device: Device) -> Storage {
        match device {
            Device::Cpu => Storage::Cpu(CpuStorage::rand(n, dtype)),
            #[cfg(feature = "gpu")]
            Device::Gpu(i) => Storage::Gpu(GpuStorage::rand(n, dtype, i)),
            #[cfg(not(feature = "gpu"))]
            Device::Gpu(_) => crate::device::no_gpu_support(),
        }
    }

    #[track_caller]
    pub fn unary(&self, l: &Layout, op: UnaryOp) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.unary(l, op)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => Storage::Gpu(s.unary(l, op)),
        }
    }

    /// `l` and `rl` already have the output's (broadcast) shape.
    #[track_caller]
    pub fn binary(&self, l: &Layout, rhs: &Storage, rl: &Layout, op: BinaryOp) -> Storage {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Storage::Cpu(a.binary(l, b, rl, op)),
            #[cfg(feature = "gpu")]
            (Storage::Gpu(a), Storage::Gpu(b)) => Storage::Gpu(a.binary(l, b, rl, op)),
            #[allow(unreachable_patterns)]
            (a, b) => mixed("binary", a, b),
        }
    }

    #[track_caller]
    pub fn cmp(&self, l: &Layout, rhs: &Storage, rl: &Layout, op: CmpOp) -> Storage {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Storage::Cpu(a.cmp(l, b, rl, op)),
            #[cfg(feature = "gpu")]
            (Storage::Gpu(a), Storage::Gpu(b)) => Storage::Gpu(a.cmp(l, b, rl, op)),
            #[allow(unreachable_patterns)]
            (a, b) => mixed("compare", a, b),
        }
    }

    #[track_caller]
    pub fn where_cond(
        cond: &Storage,
        cl: &Layout,
        a: &Storage,
        al: &Layout,
        b: &Storage,
        bl: &Layout,
    ) -> Storage {
        match (cond, a, b) {
            (Storage::Cpu(c), Storage::Cpu(a), Storage::Cpu(b)) => {
                Storage::Cpu(CpuStorage::where_cond(c, cl, a, al, b, bl))
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(c), Storage::Gpu(a), Storage::Gpu(b)) => {
                Storage::Gpu(GpuStorage::where_cond(c, cl, a, al, b, bl))
            }
            #[allow(unreachable_patterns)]
            (c, a, _) if c.device() != a.device() => mixed("where", c, a),
            #[allow(unreachable_patterns)]
            (_, a, b) => mixed("where", a, b),
        }
    }

    #[track_caller]
    pub fn to_dtype(&self, l: &Layout, dtype: DType) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.to_dtype(l, dtype)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => Storage::Gpu(s.to_dtype(l, dtype)),
        }
    }

    /// A contiguous copy of the elements `l` selects.
    #[track_caller]
    pub fn copy_strided(&self, l: &Layout) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.copy_strided(l)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => Storage::Gpu(s.copy_strided(l)),
        }
    }

    /// Writes `src` (laid out by `sl`, same shape as `dl`) into the elements `dl` selects.
    #[track_caller]
    pub fn assign(&mut self, dl: &Layout, src: &Storage, sl: &Layout) {
        match (self, src) {
            (Storage::Cpu(d), Storage::Cpu(s)) => d.assign(dl, s, sl),
            #[cfg(feature = "gpu")]
            (Storage::Gpu(d), Storage::Gpu(s)) => d.assign(dl, s, sl),
            #[allow(unreachable_patterns)]
            (d, s) => mixed("copy_", d, s),
        }
    }

    /// Applies `op` in place over `dl` with `rhs` (same shape as `dl`).
    #[track_caller]
    pub fn binary_inplace(&mut self, dl: &Layout, rhs: &Storage, rl: &Layout, op: BinaryOp) {
        match (self, rhs) {
            (Storage::Cpu(d), Storage::Cpu(s)) => d.binary_inplace(dl, s, rl, op),
            #[cfg(feature = "gpu")]
            (Storage::Gpu(d), Storage::Gpu(s)) => d.binary_inplace(dl, s, rl, op),
            #[allow(unreachable_patterns)]
            (d, s) => mixed("in-place op", d, s),
        }
    }

    /// Reduces over `dims` (sorted, unique); the result keeps the other dims in order.
    #[track_caller]
    pub fn reduce(&self, l: &Layout, dims: &[usize], op: ReduceOp) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.reduce(l, dims, op)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => Storage::Gpu(s.reduce(l, dims, op)),
        }
    }

    /// Batched matrix product of `[b, m, k]` by `[b, k, n]` layouts into a contiguous
    /// `[b, m, n]`.
    #[track_caller]
    pub fn bmm(&self, l: &Layout, rhs: &Storage, rl: &Layout) -> Storage {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Storage::Cpu(a.bmm(l, b, rl)),
            #[cfg(feature = "gpu")]
            (Storage::Gpu(a), Storage::Gpu(b)) => Storage::Gpu(a.bmm(l, b, rl)),
            #[allow(unreachable_patterns)]
            (a, b) => mixed("matmul", a, b),
        }
    }

    /// `out[i][j][k] = self[i][index[i][j][k]][k]` over a `[outer, dim, inner]` view.
    #[track_caller]
    pub fn gather(&self, l: &Layout, dim: usize, index: &Storage, il: &Layout) -> Storage {
        match (self, index) {
            (Storage::Cpu(a), Storage::Cpu(i)) => Storage::Cpu(a.gather(l, dim, i, il)),
            #[cfg(feature = "gpu")]
            (Storage::Gpu(a), Storage::Gpu(i)) => Storage::Gpu(a.gather(l, dim, i, il)),
            #[allow(unreachable_patterns)]
            (a, i) => mixed("gather", a, i),
        }
    }

    /// Adds `src` into a zero tensor of `shape` at `index` along `dim` (gather's adjoint).
    #[track_caller]
    pub fn scatter_add(
        shape: &[usize],
        dim: usize,
        index: &Storage,
        il: &Layout,
        src: &Storage,
        sl: &Layout,
    ) -> Storage {
        match (index, src) {
            (Storage::Cpu(i), Storage::Cpu(s)) => {
                Storage::Cpu(CpuStorage::scatter_add(shape, dim, i, il, s, sl))
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(i), Storage::Gpu(s)) => {
                Storage::Gpu(GpuStorage::scatter_add(shape, dim, i, il, s, sl))
            }
            #[allow(unreachable_patterns)]
            (i, s) => mixed("scatter_add", i, s),
        }
    }

    #[track_caller]
    pub fn index_select(&self, l: &Layout, dim: usize, index: &Storage, il: &Layout) -> Storage {
        match (self, index) {
            (Storage::Cpu(a), Storage::Cpu(i)) => Storage::Cpu(a.index_select(l, dim, i, il)),
            #[cfg(feature = "gpu")]
            (Storage::Gpu(a), Storage::Gpu(i)) => Storage::Gpu(a.index_select(l, dim, i, il)),
            #[allow(unreachable_patterns)]
            (a, i) => mixed("index_select", a, i),
        }
    }

    /// Adds slices of `src` into a zero tensor of `shape` at `index` along `dim`.
    #[track_caller]
    pub fn index_add(
        shape: &[usize],
        dim: usize,
        index: &Storage,
        il: &Layout,
        src: &Storage,
        sl: &Layout,
    ) -> Storage {
        match (index, src) {
            (Storage::Cpu(i), Storage::Cpu(s)) => {
                Storage::Cpu(CpuStorage::index_add(shape, dim, i, il, s, sl))
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(i), Storage::Gpu(s)) => {
                Storage::Gpu(GpuStorage::index_add(shape, dim, i, il, s, sl))
            }
            #[allow(unreachable_patterns)]
            (i, s) => mixed("index_add", i, s),
        }
    }

    /// Per-sample losses and per-sample target weights (0 where ignored), `[n * inner]`.
    #[track_caller]
    pub fn class_loss(
        &self,
        l: &Layout,
        target: &Storage,
        tl: &Layout,
        weight: Option<(&Storage, &Layout)>,
        spec: &ClassLoss,
    ) -> (Storage, Storage) {
        match (self, target) {
            (Storage::Cpu(x), Storage::Cpu(t)) => {
                let w = cpu_opt(spec.op, self, weight);
                let (a, b) = x.class_loss(l, t, tl, w, spec);
                (Storage::Cpu(a), Storage::Cpu(b))
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(x), Storage::Gpu(t)) => {
                let w = gpu_opt(spec.op, self, weight);
                let (a, b) = x.class_loss(l, t, tl, w, spec);
                (Storage::Gpu(a), Storage::Gpu(b))
            }
            #[allow(unreachable_patterns)]
            (x, t) => mixed(spec.op, x, t),
        }
    }

    /// The input gradient of [`Storage::class_loss`] given each per-sample loss's gradient.
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    pub fn class_loss_backward(
        &self,
        l: &Layout,
        target: &Storage,
        tl: &Layout,
        weight: Option<(&Storage, &Layout)>,
        grad: &Storage,
        gl: &Layout,
        spec: &ClassLoss,
    ) -> Storage {
        match (self, target, grad) {
            (Storage::Cpu(x), Storage::Cpu(t), Storage::Cpu(g)) => {
                let w = cpu_opt(spec.op, self, weight);
                Storage::Cpu(x.class_loss_backward(l, t, tl, w, g, gl, spec))
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(x), Storage::Gpu(t), Storage::Gpu(g)) => {
                let w = gpu_opt(spec.op, self, weight);
                Storage::Gpu(x.class_loss_backward(l, t, tl, w, g, gl, spec))
            }
            #[allow(unreachable_patterns)]
            (x, t, _) if x.device() != t.device() => mixed(spec.op, x, t),
            #[allow(unreachable_patterns)]
            (x, _, g) => mixed(spec.op, x, g),
        }
    }
}

/// Convolution and pooling: fused kernels with their own backward kernels.
impl Storage {
    /// `[n, o, oh, ow]` from input, weight and optional bias (`[o]`); with
    /// `keep_unfolded`, also the unfolded input for
    /// [`conv2d_weight_grad_unfolded`](Self::conv2d_weight_grad_unfolded).
    #[track_caller]
    pub fn conv2d(
        &self,
        l: &Layout,
        w: &Storage,
        wl: &Layout,
        b: Option<(&Storage, &Layout)>,
        g: &Conv2dGeom,
        keep_unfolded: bool,
    ) -> (Storage, Option<Storage>) {
        match (self, w) {
            (Storage::Cpu(x), Storage::Cpu(w)) => {
                let b = cpu_opt("conv2d", self, b);
                let (out, kept) = cpu::conv::conv2d(x, l, w, wl, b, g, keep_unfolded);
                (Storage::Cpu(out), kept.map(Storage::Cpu))
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(x), Storage::Gpu(w)) => {
                let b = gpu_opt("conv2d", self, b);
                let (out, kept) = gpu::conv::conv2d(x, l, w, wl, b, g, keep_unfolded);
                (Storage::Gpu(out), kept.map(Storage::Gpu))
            }
            #[allow(unreachable_patterns)]
            (x, w) => mixed("conv2d", x, w),
        }
    }

    /// Whether keeping the unfolded input of this convolution is worth its memory.
    pub fn conv2d_keeps_unfolded(&self, g: &Conv2dGeom) -> bool {
        match self {
            Storage::Cpu(x) => cpu::conv::keeps_unfolded(g, x.dtype().size_in_bytes()),
            #[cfg(feature = "gpu")]
            Storage::Gpu(_) => gpu::conv::keeps_unfolded(g),
        }
    }

    /// The weight gradient from the output gradient (`self`) and the unfolded input kept
    /// by [`conv2d`](Self::conv2d).
    #[track_caller]
    pub fn conv2d_weight_grad_unfolded(
        &self,
        l: &Layout,
        unfolded: &Storage,
        g: &Conv2dGeom,
    ) -> Storage {
        match (self, unfolded) {
            (Storage::Cpu(gy), Storage::Cpu(u)) => {
                Storage::Cpu(cpu::conv::conv2d_weight_grad_unfolded(gy, l, u, g))
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(gy), Storage::Gpu(u)) => {
                Storage::Gpu(gpu::conv::conv2d_weight_grad_unfolded(gy, l, u, g))
            }
            #[allow(unreachable_patterns)]
            (a, b) => mixed("conv2d backward", a, b),
        }
    }

    /// The input gradient `[n, c, h, w]` from the output gradient (`self`) and the weight.
    #[track_caller]
    pub fn conv2d_input_grad(
        &self,
        l: &Layout,
        w: &Storage,
        wl: &Layout,
        g: &Conv2dGeom,
    ) -> Storage {
        match (self, w) {
            (Storage::Cpu(gy), Storage::Cpu(w)) => {
                Storage::Cpu(cpu::conv::conv2d_input_grad(gy, l, w, wl, g))
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(gy), Storage::Gpu(w)) => {
                Storage::Gpu(gpu::conv::conv2d_input_grad(gy, l, w, wl, g))
            }
            #[allow(unreachable_patterns)]
            (a, b) => mixed("conv2d backward", a, b),
        }
    }

    /// The weight gradient `[o, c/groups, kh, kw]` from the output gradient (`self`) and
    /// the input.
    #[track_caller]
    pub fn conv2d_weight_grad(
        &self,
        l: &Layout,
        x: &Storage,
        xl: &Layout,
        g: &Conv2dGeom,
    ) -> Storage {
        match (self, x) {
            (Storage::Cpu(gy), Storage::Cpu(x)) => {
                Storage::Cpu(cpu::conv::conv2d_weight_grad(gy, l, x, xl, g))
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(gy), Storage::Gpu(x)) => {
                Storage::Gpu(gpu::conv::conv2d_weight_grad(gy, l, x, xl, g))
            }
            #[allow(unreachable_patterns)]
            (a, b) => mixed("conv2d backward", a, b),
        }
    }

    /// The bias gradient `[o]` from the output gradient (`self`).
    pub fn conv2d_bias_grad(&self, l: &Layout, g: &Conv2dGeom) -> Storage {
        match self {
            Storage::Cpu(gy) => Storage::Cpu(cpu::conv::conv2d_bias_grad(gy, l, g)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(gy) => Storage::Gpu(gpu::conv::conv2d_bias_grad(gy, l, g)),
        }
    }

    #[track_caller]
    pub fn avg_pool2d(&self, l: &Layout, g: &Pool2dGeom, d: AvgDivisor) -> Storage {
        match self {
            Storage::Cpu(x) => Storage::Cpu(cpu::pool::avg_pool2d(x, l, g, d)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(x) => Storage::Gpu(gpu::pool::avg_pool2d(x, l, g, d)),
        }
    }

    /// The input gradient of `avg_pool2d` from the output gradient (`self`).
    pub fn avg_pool2d_backward(&self, l: &Layout, g: &Pool2dGeom, d: AvgDivisor) -> Storage {
        match self {
            Storage::Cpu(gy) => Storage::Cpu(cpu::pool::avg_pool2d_backward(gy, l, g, d)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(gy) => Storage::Gpu(gpu::pool::avg_pool2d_backward(gy, l, g, d)),
        }
    }

    /// The maxima and their flat `h*w` indices within each plane (as PyTorch's).
    #[track_caller]
    pub fn max_pool2d(&self, l: &Layout, g: &Pool2dGeom) -> (Storage, Storage) {
        match self {
            Storage::Cpu(x) => {
                let (v, i) = cpu::pool::max_pool2d(x, l, g);
                (Storage::Cpu(v), Storage::Cpu(i))
            }
            #[cfg(feature = "gpu")]
            Storage::Gpu(x) => {
                let (v, i) = gpu::pool::max_pool2d(x, l, g);
                (Storage::Gpu(v), Storage::Gpu(i))
            }
        }
    }

    /// The input gradient of `max_pool2d` from the output gradient (`self`) and indices.
    #[track_caller]
    pub fn max_pool2d_backward(
        &self,
        l: &Layout,
        idx: &Storage,
        il: &Layout,
        g: &Pool2dGeom,
    ) -> Storage {
        match (self, idx) {
            (Storage::Cpu(gy), Storage::Cpu(i)) => {
                Storage::Cpu(cpu::pool::max_pool2d_backward(gy, l, i, il, g))
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(gy), Storage::Gpu(i)) => {
                Storage::Gpu(gpu::pool::max_pool2d_backward(gy, l, i, il, g))
            }
            #[allow(unreachable_patterns)]
            (a, b) => mixed("max_pool2d backward", a, b),
        }
    }

    #[track_caller]
    pub fn adaptive_avg_pool2d(&self, l: &Layout, g: &Pool2dGeom) -> Storage {
        match self {
            Storage::Cpu(x) => Storage::Cpu(cpu::pool::adaptive_avg_pool2d(x, l, g)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(x) => Storage::Gpu(gpu::pool::adaptive_avg_pool2d(x, l, g)),
        }
    }

    /// The input gradient of `adaptive_avg_pool2d` from the output gradient (`self`).
    pub fn adaptive_avg_pool2d_backward(&self, l: &Layout, g: &Pool2dGeom) -> Storage {
        match self {
            Storage::Cpu(gy) => Storage::Cpu(cpu::pool::adaptive_avg_pool2d_backward(gy, l, g)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(gy) => Storage::Gpu(gpu::pool::adaptive_avg_pool2d_backward(gy, l, g)),
        }
    }
}
