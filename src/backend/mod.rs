//! Storage and kernels. The tensor layer calls only what is here; each device variant of
//! [`Storage`] implements the same small set of primitives, so composite ops and autograd
//! are written once for every backend.
pub(crate) mod cpu;
pub mod threads;
mod workers;

use crate::layout::Layout;
use crate::{DType, Device};
pub(crate) use cpu::CpuStorage;

/// Elementwise functions of one tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum UnaryOp {
    Neg,
    Abs,
    Exp,
    Log,
    Sqrt,
    Relu,
    Sigmoid,
    Tanh,
    /// The error function (computed in f64).
    Erf,
    /// `x ** e` for a scalar exponent.
    PowScalar(f64),
    /// Clamp into `[lo, hi]`; an infinite bound means none.
    Clamp(f64, f64),
    /// -1, 0 or 1 (used by the gradient of `abs`).
    Sign,
}

/// Elementwise functions of two same-dtype tensors with the same (broadcast) shape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Maximum,
    Minimum,
}

/// Comparisons; the result is bool.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Reductions over a set of dims.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ReduceOp {
    Sum,
    Max,
    Min,
    ArgMax,
    ArgMin,
}

/// What the fused class-index loss kernels compute over an `[n, c, inner]` input with an
/// `[n, inner]` int64 target: per sample, `-sum_k q_k logp_k` with the target distribution
/// `q_k = (1 - smoothing) w[t] [k == t] + smoothing / c * w[k]` (0 where `t ==
/// ignore_index`); `logp` is `log_softmax(x)` over the classes, or `x` itself for nll.
#[derive(Clone, Debug)]
pub(crate) struct ClassLoss {
    pub n: usize,
    pub c: usize,
    pub inner: usize,
    pub ignore_index: i64,
    pub smoothing: f64,
    pub log_softmax: bool,
    /// The op name for panic messages.
    pub op: &'static str,
}

/// The memory behind one or more tensors (views share it).
pub(crate) enum Storage {
    Cpu(CpuStorage),
}

impl Storage {
    pub fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
        }
    }

    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
        }
    }

    pub fn cpu(&self) -> &CpuStorage {
        match self {
            Storage::Cpu(s) => s,
        }
    }

    pub fn full(n: usize, value: f64, dtype: DType, device: Device) -> Storage {
        match device {
            Device::Cpu => Storage::Cpu(CpuStorage::full(n, value, dtype)),
        }
    }

    pub fn unary(&self, l: &Layout, op: UnaryOp) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.unary(l, op)),
        }
    }

    /// `l` and `rl` already have the output's (broadcast) shape.
    pub fn binary(&self, l: &Layout, rhs: &Storage, rl: &Layout, op: BinaryOp) -> Storage {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Storage::Cpu(a.binary(l, b, rl, op)),
        }
    }

    pub fn cmp(&self, l: &Layout, rhs: &Storage, rl: &Layout, op: CmpOp) -> Storage {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Storage::Cpu(a.cmp(l, b, rl, op)),
        }
    }

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
        }
    }

    pub fn to_dtype(&self, l: &Layout, dtype: DType) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.to_dtype(l, dtype)),
        }
    }

    /// A contiguous copy of the elements `l` selects.
    pub fn copy_strided(&self, l: &Layout) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.copy_strided(l)),
        }
    }

    /// Writes `src` (laid out by `sl`, same shape as `dl`) into the elements `dl` selects.
    pub fn assign(&mut self, dl: &Layout, src: &Storage, sl: &Layout) {
        match (self, src) {
            (Storage::Cpu(d), Storage::Cpu(s)) => d.assign(dl, s, sl),
        }
    }

    /// Applies `op` in place over `dl` with `rhs` (same shape as `dl`).
    pub fn binary_inplace(&mut self, dl: &Layout, rhs: &Storage, rl: &Layout, op: BinaryOp) {
        match (self, rhs) {
            (Storage::Cpu(d), Storage::Cpu(s)) => d.binary_inplace(dl, s, rl, op),
        }
    }

    /// Reduces over `dims` (sorted, unique); the result keeps the other dims in order.
    pub fn reduce(&self, l: &Layout, dims: &[usize], op: ReduceOp) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.reduce(l, dims, op)),
        }
    }

    /// Batched matrix product of `[b, m, k]` by `[b, k, n]` layouts into a contiguous
    /// `[b, m, n]`.
    pub fn bmm(&self, l: &Layout, rhs: &Storage, rl: &Layout) -> Storage {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Storage::Cpu(a.bmm(l, b, rl)),
        }
    }

    /// `out[i][j][k] = self[i][index[i][j][k]][k]` over a `[outer, dim, inner]` view.
    pub fn gather(&self, l: &Layout, dim: usize, index: &Storage, il: &Layout) -> Storage {
        match (self, index) {
            (Storage::Cpu(a), Storage::Cpu(i)) => Storage::Cpu(a.gather(l, dim, i, il)),
        }
    }

    /// Adds `src` into a zero tensor of `shape` at `index` along `dim` (gather's adjoint).
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
        }
    }

    pub fn index_select(&self, l: &Layout, dim: usize, index: &Storage, il: &Layout) -> Storage {
        match (self, index) {
            (Storage::Cpu(a), Storage::Cpu(i)) => Storage::Cpu(a.index_select(l, dim, i, il)),
        }
    }

    /// Adds slices of `src` into a zero tensor of `shape` at `index` along `dim`.
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
        }
    }

    /// Per-sample losses and per-sample target weights (0 where ignored), `[n * inner]`.
    pub fn class_loss(
        &self,
        l: &Layout,
        target: &Storage,
        tl: &Layout,
        weight: Option<(&Storage, &Layout)>,
        spec: &ClassLoss,
    ) -> (Storage, Storage) {
        let w = weight.map(|(w, wl)| (w.cpu(), wl));
        match (self, target) {
            (Storage::Cpu(x), Storage::Cpu(t)) => {
                let (a, b) = x.class_loss(l, t, tl, w, spec);
                (Storage::Cpu(a), Storage::Cpu(b))
            }
        }
    }

    /// The input gradient of [`Storage::class_loss`] given each per-sample loss's gradient.
    #[allow(clippy::too_many_arguments)]
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
        let w = weight.map(|(w, wl)| (w.cpu(), wl));
        match (self, target, grad) {
            (Storage::Cpu(x), Storage::Cpu(t), Storage::Cpu(g)) => {
                Storage::Cpu(x.class_loss_backward(l, t, tl, w, g, gl, spec))
            }
        }
    }
}

/// The sizes of one 2-D convolution: input `[n, c, h, w]`, weight `[o, c/groups, kh, kw]`,
/// output `[n, o, oh, ow]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Conv2dGeom {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub o: usize,
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    pub ph: usize,
    pub pw: usize,
    pub dh: usize,
    pub dw: usize,
    pub groups: usize,
    pub oh: usize,
    pub ow: usize,
}

/// The sizes of one 2-D pooling over `planes` images of `[h, w]` into `[oh, ow]` (window,
/// stride, padding and dilation are unused by adaptive pooling).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Pool2dGeom {
    pub planes: usize,
    pub h: usize,
    pub w: usize,
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    pub ph: usize,
    pub pw: usize,
    pub dh: usize,
    pub dw: usize,
    pub oh: usize,
    pub ow: usize,
}

/// Convolution and pooling: fused kernels with their own backward kernels.
impl Storage {
    /// `[n, o, oh, ow]` from input, weight and optional bias (`[o]`); with
    /// `keep_unfolded`, also the unfolded input for
    /// [`conv2d_weight_grad_unfolded`](Self::conv2d_weight_grad_unfolded).
    pub fn conv2d(
        &self,
        l: &Layout,
        w: &Storage,
        wl: &Layout,
        b: Option<(&Storage, &Layout)>,
        g: &Conv2dGeom,
        keep_unfolded: bool,
    ) -> (Storage, Option<Storage>) {
        let Storage::Cpu(x) = self;
        let Storage::Cpu(w) = w;
        let b = b.map(|(Storage::Cpu(b), bl)| (b, bl));
        let (out, kept) = cpu::conv::conv2d(x, l, w, wl, b, g, keep_unfolded);
        (Storage::Cpu(out), kept.map(Storage::Cpu))
    }

    /// Whether keeping the unfolded input of this convolution is worth its memory.
    pub fn conv2d_keeps_unfolded(&self, g: &Conv2dGeom) -> bool {
        let Storage::Cpu(x) = self;
        cpu::conv::keeps_unfolded(g, x.dtype().size_in_bytes())
    }

    /// The weight gradient from the output gradient (`self`) and the unfolded input kept
    /// by [`conv2d`](Self::conv2d).
    pub fn conv2d_weight_grad_unfolded(
        &self,
        l: &Layout,
        unfolded: &Storage,
        g: &Conv2dGeom,
    ) -> Storage {
        let (Storage::Cpu(gy), Storage::Cpu(u)) = (self, unfolded);
        Storage::Cpu(cpu::conv::conv2d_weight_grad_unfolded(gy, l, u, g))
    }

    /// The input gradient `[n, c, h, w]` from the output gradient (`self`) and the weight.
    pub fn conv2d_input_grad(
        &self,
        l: &Layout,
        w: &Storage,
        wl: &Layout,
        g: &Conv2dGeom,
    ) -> Storage {
        let (Storage::Cpu(gy), Storage::Cpu(w)) = (self, w);
        Storage::Cpu(cpu::conv::conv2d_input_grad(gy, l, w, wl, g))
    }

    /// The weight gradient `[o, c/groups, kh, kw]` from the output gradient (`self`) and
    /// the input.
    pub fn conv2d_weight_grad(
        &self,
        l: &Layout,
        x: &Storage,
        xl: &Layout,
        g: &Conv2dGeom,
    ) -> Storage {
        let (Storage::Cpu(gy), Storage::Cpu(x)) = (self, x);
        Storage::Cpu(cpu::conv::conv2d_weight_grad(gy, l, x, xl, g))
    }

    /// The bias gradient `[o]` from the output gradient (`self`).
    pub fn conv2d_bias_grad(&self, l: &Layout, g: &Conv2dGeom) -> Storage {
        let Storage::Cpu(gy) = self;
        Storage::Cpu(cpu::conv::conv2d_bias_grad(gy, l, g))
    }

    pub fn avg_pool2d(&self, l: &Layout, g: &Pool2dGeom, count_include_pad: bool) -> Storage {
        let Storage::Cpu(x) = self;
        Storage::Cpu(cpu::pool::avg_pool2d(x, l, g, count_include_pad))
    }

    /// The input gradient of `avg_pool2d` from the output gradient (`self`).
    pub fn avg_pool2d_backward(
        &self,
        l: &Layout,
        g: &Pool2dGeom,
        count_include_pad: bool,
    ) -> Storage {
        let Storage::Cpu(gy) = self;
        Storage::Cpu(cpu::pool::avg_pool2d_backward(gy, l, g, count_include_pad))
    }

    /// The maxima and their flat `h*w` indices within each plane (as PyTorch's).
    pub fn max_pool2d(&self, l: &Layout, g: &Pool2dGeom) -> (Storage, Storage) {
        let Storage::Cpu(x) = self;
        let (v, i) = cpu::pool::max_pool2d(x, l, g);
        (Storage::Cpu(v), Storage::Cpu(i))
    }

    /// The input gradient of `max_pool2d` from the output gradient (`self`) and indices.
    pub fn max_pool2d_backward(
        &self,
        l: &Layout,
        idx: &Storage,
        il: &Layout,
        g: &Pool2dGeom,
    ) -> Storage {
        let (Storage::Cpu(gy), Storage::Cpu(i)) = (self, idx);
        Storage::Cpu(cpu::pool::max_pool2d_backward(gy, l, i, il, g))
    }

    pub fn adaptive_avg_pool2d(&self, l: &Layout, g: &Pool2dGeom) -> Storage {
        let Storage::Cpu(x) = self;
        Storage::Cpu(cpu::pool::adaptive_avg_pool2d(x, l, g))
    }

    /// The input gradient of `adaptive_avg_pool2d` from the output gradient (`self`).
    pub fn adaptive_avg_pool2d_backward(&self, l: &Layout, g: &Pool2dGeom) -> Storage {
        let Storage::Cpu(gy) = self;
        Storage::Cpu(cpu::pool::adaptive_avg_pool2d_backward(gy, l, g))
    }
}
