//! The shared vocabulary of every backend: op enums, conv/pool geometry, the loss spec.
//! It imports no backend, so `cpu/` and `gpu/` both build on it and never on each other.

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

/// What an average pooling divides each window's sum by, as PyTorch's arguments: a fixed
/// `divisor_override` when given, else the window's size counting the padding
/// (`count_include_pad`) or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AvgDivisor {
    pub count_include_pad: bool,
    pub divisor_override: Option<usize>,
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
