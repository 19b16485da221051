//! Convolution, as `torch.nn.functional.conv2d`.
use crate::Tensor;
use crate::autograd::rules::conv::ConvolutionBackward;
use crate::backend::{Conv2dGeom, Storage};

/// A 2-D size given as one number for both dims or as `(h, w)`, like PyTorch's
/// `int or tuple` arguments.
///
/// ```
/// use firelight::nn::functional::IntoPair;
/// assert_eq!(3.into_pair(), (3, 3));
/// assert_eq!((2, 1).into_pair(), (2, 1));
/// assert_eq!([2, 1].into_pair(), (2, 1));
/// ```
pub trait IntoPair {
    /// The `(h, w)` pair.
    fn into_pair(self) -> (usize, usize);
}

impl IntoPair for usize {
    fn into_pair(self) -> (usize, usize) {
        (self, self)
    }
}

impl IntoPair for (usize, usize) {
    fn into_pair(self) -> (usize, usize) {
        self
    }
}

impl IntoPair for [usize; 2] {
    fn into_pair(self) -> (usize, usize) {
        (self[0], self[1])
    }
}

keyword_options! {
    /// The keyword arguments of [`conv2d_with`] (and of the [`Conv2d`](crate::nn::Conv2d)
    /// layer), starting from PyTorch's defaults: stride 1, padding 0, dilation 1, groups 1.
    /// Sizes take one number or an `(h, w)` pair.
    ///
    /// ```
    /// use firelight::nn::functional::Conv2dOptions;
    /// let o = Conv2dOptions::new().stride(2).padding(1);
    /// assert_eq!((o.stride, o.padding, o.dilation, o.groups), ((2, 2), (1, 1), (1, 1), 1));
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Conv2dOptions {
        /// Step between windows, `(h, w)`.
        stride: (usize, usize) = (1, 1),
        fn stride(stride: impl IntoPair) => stride.into_pair(),
        example: "assert_eq!(Conv2dOptions::new().stride(2).stride, (2, 2));";
        /// Zeros added on both sides, `(h, w)`.
        padding: (usize, usize) = (0, 0),
        fn padding(padding: impl IntoPair) => padding.into_pair(),
        example: "assert_eq!(Conv2dOptions::new().padding((1, 0)).padding, (1, 0));";
        /// Spacing between kernel elements, `(h, w)`.
        dilation: (usize, usize) = (1, 1),
        fn dilation(dilation: impl IntoPair) => dilation.into_pair(),
        example: "assert_eq!(Conv2dOptions::new().dilation(2).dilation, (2, 2));";
        /// Channel groups: input and output channels are split into this many independent
        /// convolutions.
        groups: usize = 1,
        fn groups(groups: usize) => groups,
        example: "assert_eq!(Conv2dOptions::new().groups(2).groups, 2);";
    }
}

/// A 4-D version of `x` (`[C, H, W]` gets a batch of one) and whether it was 3-D, for
/// [`unbatched`] to give the result back the rank `x` had.
#[track_caller]
pub(crate) fn batched(op: &str, x: &Tensor) -> (Tensor, bool) {
    match x.dim() {
        4 => (x.clone(), false),
        3 => (x.unsqueeze(0), true),
        _ => panic!(
            "{op}: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape {:?}",
            x.shape()
        ),
    }
}

/// `y` without the batch dim that [`batched`] added.
pub(crate) fn unbatched(y: Tensor, added: bool) -> Tensor {
    if added { y.squeeze(0) } else { y }
}

/// 2-D convolution (cross-correlation, as PyTorch's) of `input` `[N, C, H, W]` (or
/// `[C, H, W]`) with `weight` `[O, C/groups, kh, kw]`, plus an optional `bias` `[O]`, with
/// PyTorch's defaults (stride 1, no padding), like `F.conv2d(input, weight, bias)`; the
/// result is `[N, O, oh, ow]`. Its `grad_fn` is `ConvolutionBackward0`.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::randn(&[2, 1, 5, 5]);
/// let w = Tensor::randn(&[4, 1, 3, 3]).requires_grad_(true);
/// let y = F::conv2d(&x, &w, None);
/// assert_eq!(y.shape(), &[2, 4, 3, 3]);
/// assert_eq!(y.grad_fn(), Some("ConvolutionBackward0"));
/// ```
///
/// # Panics
/// As [`conv2d_with`].
#[track_caller]
pub fn conv2d(input: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Tensor {
    conv2d_with(input, weight, bias, Conv2dOptions::new())
}

/// [`conv2d`] with keyword arguments, like `F.conv2d(input, weight, bias, stride=2,
/// padding=1)`: `oh = (H + 2*pad - dil*(kh-1) - 1) / stride + 1`.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::randn(&[64, 1, 28, 28]);
/// let w = Tensor::randn(&[16, 1, 3, 3]).requires_grad_(true);
/// let b = Tensor::zeros(&[16]).requires_grad_(true);
/// let y = F::conv2d_with(&x, &w, Some(&b), F::Conv2dOptions::new().stride(2).padding(1));
/// assert_eq!(y.shape(), &[64, 16, 14, 14]);
/// y.sum(..).backward();
/// assert_eq!(w.grad().unwrap().shape(), &[16, 1, 3, 3]);
/// ```
///
/// # Panics
/// On mismatched channels, dtypes or devices, a bias that is not `[O]`, groups that do
/// not divide the channels, a zero stride or dilation, or a kernel larger than the padded
/// input, naming the shapes.
#[track_caller]
pub fn conv2d_with(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    options: Conv2dOptions,
) -> Tensor {
    let (x, added) = batched("conv2d", input);
    unbatched(conv2d_4d(&x, weight, bias, &options), added)
}

#[track_caller]
fn conv2d_4d(x: &Tensor, w: &Tensor, b: Option<&Tensor>, o: &Conv2dOptions) -> Tensor {
    let (xs, ws) = (x.shape(), w.shape());
    if w.dim() != 4 {
        panic!(
            "conv2d: expected a 4-D weight [out_channels, in_channels/groups, kh, kw], got shape {ws:?}"
        );
    }
    for (t, what) in [(w, "weight")].into_iter().chain(b.map(|b| (b, "bias"))) {
        if t.dtype() != x.dtype() || t.device() != x.device() {
            panic!(
                "conv2d: input ({} on {}) and {what} ({} on {}) must have the same dtype and device{}",
                x.dtype(),
                x.device(),
                t.dtype(),
                t.device(),
                crate::tensor::float64_hint(x.dtype(), t.dtype())
            );
        }
    }
    if !x.dtype().is_float() {
        panic!("conv2d: expected a float input, got {}", x.dtype());
    }
    let groups = o.groups;
    if groups == 0 || ws[0] % groups != 0 {
        panic!(
            "conv2d: out_channels ({}) of weight {ws:?} must be divisible by groups ({groups})",
            ws[0]
        );
    }
    if ws[1] * groups != xs[1] {
        panic!(
            "conv2d: given groups={groups}, weight of size {ws:?}, expected input{xs:?} to have {} channels, but got {} channels instead",
            ws[1] * groups,
            xs[1]
        );
    }
    if let Some(b) = b
        && **b.shape() != [ws[0]]
    {
        panic!(
            "conv2d: expected bias of shape [{}] for weight {ws:?}, got {:?}",
            ws[0],
            b.shape()
        );
    }
    let ((sh, sw), (ph, pw), (dh, dw)) = (o.stride, o.padding, o.dilation);
    if sh == 0 || sw == 0 || dh == 0 || dw == 0 {
        panic!(
            "conv2d: stride {:?} and dilation {:?} must be positive",
            o.stride, o.dilation
        );
    }
    let (eh, ew) = (dh * (ws[2] - 1) + 1, dw * (ws[3] - 1) + 1);
    if ws[2] == 0 || ws[3] == 0 || xs[2] + 2 * ph < eh || xs[3] + 2 * pw < ew {
        panic!(
            "conv2d: kernel size {eh}x{ew} (dilated, weight {ws:?}) can't be greater than the padded input size {}x{} (input {xs:?}, padding {:?})",
            xs[2] + 2 * ph,
            xs[3] + 2 * pw,
            o.padding
        );
    }
    let geom = Conv2dGeom {
        n: xs[0],
        c: xs[1],
        h: xs[2],
        w: xs[3],
        o: ws[0],
        kh: ws[2],
        kw: ws[3],
        sh,
        sw,
        ph,
        pw,
        dh,
        dw,
        groups,
        oh: (xs[2] + 2 * ph - eh) / sh + 1,
        ow: (xs[3] + 2 * pw - ew) / sw + 1,
    };
    let mut inputs = vec![x, w];
    inputs.extend(b);
    // The weight gradient reuses the forward pass's unfolded input when it is small
    // enough to keep: a training step then unfolds each input once, not twice.
    let records = crate::is_grad_enabled() && w.requires_grad();
    let (storage, unfolded) = {
        let (sx, sw_) = (x.storage(), w.storage());
        let sb = b.map(|b| b.storage());
        let bias: Option<(&Storage, _)> = sb.as_deref().map(|s| (s, b.unwrap().layout()));
        let keep = records && sx.conv2d_keeps_unfolded(&geom);
        sx.conv2d(x.layout(), &sw_, w.layout(), bias, &geom, keep)
    };
    let shape = [geom.n, geom.o, geom.oh, geom.ow];
    Tensor::from_op(storage, &shape, "ConvolutionBackward0", &inputs, |_| {
        Box::new(ConvolutionBackward::new(x, w, unfolded, geom))
    })
}
