//! Pooling, as `torch.nn.functional.avg_pool2d`, `max_pool2d` and `adaptive_avg_pool2d`.
use super::conv::{IntoPair, batched, unbatched};
use crate::Tensor;
use crate::autograd::rules::conv::{
    AdaptiveAvgPool2DBackward, AvgPool2DBackward, MaxPool2DWithIndicesBackward,
};
use crate::backend::{AvgDivisor, Pool2dGeom};

keyword_options! {
    /// The keyword arguments of [`avg_pool2d_with`] (and of the
    /// [`AvgPool2d`](crate::nn::AvgPool2d) layer), starting from PyTorch's defaults: stride
    /// = kernel size, no padding, floor rounding, padding zeros counted in the divisor, no
    /// divisor override.
    ///
    /// ```
    /// use firelight::nn::functional::AvgPool2dOptions;
    /// let o = AvgPool2dOptions::new();
    /// assert_eq!((o.stride, o.padding, o.divisor_override), (None, (0, 0), None));
    /// assert!(!o.ceil_mode && o.count_include_pad);
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct AvgPool2dOptions {
        /// Step between windows; `None` means the kernel size.
        stride: Option<(usize, usize)> = None,
        fn stride(stride: impl IntoPair) => Some(stride.into_pair()),
        example: "assert_eq!(AvgPool2dOptions::new().stride(1).stride, Some((1, 1)));";
        /// Zeros added on both sides (at most half the kernel).
        padding: (usize, usize) = (0, 0),
        fn padding(padding: impl IntoPair) => padding.into_pair(),
        example: "assert_eq!(AvgPool2dOptions::new().padding(1).padding, (1, 1));";
        /// Rounds the output size up instead of down (windows may then hang over the end).
        ceil_mode: bool = false,
        fn ceil_mode(ceil_mode: bool) => ceil_mode,
        example: "assert!(AvgPool2dOptions::new().ceil_mode(true).ceil_mode);";
        /// Whether padding zeros count in each window's divisor.
        count_include_pad: bool = true,
        fn count_include_pad(count_include_pad: bool) => count_include_pad,
        example: "assert!(!AvgPool2dOptions::new().count_include_pad(false).count_include_pad);";
        /// When set, every window's sum is divided by this instead of the window's size.
        divisor_override: Option<usize> = None,
        fn divisor_override(divisor: usize) => Some(divisor),
        example: "assert_eq!(AvgPool2dOptions::new().divisor_override(1).divisor_override, Some(1));";
    }
}

keyword_options! {
    /// The keyword arguments of [`max_pool2d_with`] (and of the
    /// [`MaxPool2d`](crate::nn::MaxPool2d) layer), starting from PyTorch's defaults: stride
    /// = kernel size, no padding, dilation 1, floor rounding.
    ///
    /// ```
    /// use firelight::nn::functional::MaxPool2dOptions;
    /// let o = MaxPool2dOptions::new();
    /// assert_eq!((o.stride, o.padding, o.dilation, o.ceil_mode), (None, (0, 0), (1, 1), false));
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct MaxPool2dOptions {
        /// Step between windows; `None` means the kernel size.
        stride: Option<(usize, usize)> = None,
        fn stride(stride: impl IntoPair) => Some(stride.into_pair()),
        example: "assert_eq!(MaxPool2dOptions::new().stride(2).stride, Some((2, 2)));";
        /// Implicit `-inf` padding on both sides (at most half the dilated kernel).
        padding: (usize, usize) = (0, 0),
        fn padding(padding: impl IntoPair) => padding.into_pair(),
        example: "assert_eq!(MaxPool2dOptions::new().padding(1).padding, (1, 1));";
        /// Spacing between window elements.
        dilation: (usize, usize) = (1, 1),
        fn dilation(dilation: impl IntoPair) => dilation.into_pair(),
        example: "assert_eq!(MaxPool2dOptions::new().dilation(2).dilation, (2, 2));";
        /// Rounds the output size up instead of down.
        ceil_mode: bool = false,
        fn ceil_mode(ceil_mode: bool) => ceil_mode,
        example: "assert!(MaxPool2dOptions::new().ceil_mode(true).ceil_mode);";
    }
}

/// PyTorch's pooling output size for one dim, checking the arguments as it does.
#[track_caller]
fn out_size(
    op: &str,
    x: &Tensor,
    n: usize,
    k: usize,
    s: usize,
    p: usize,
    d: usize,
    ceil: bool,
) -> usize {
    if k == 0 || s == 0 || d == 0 {
        panic!(
            "{op}: kernel size, stride and dilation must be positive (input {:?})",
            x.shape()
        );
    }
    let eff = d * (k - 1) + 1;
    if p > eff / 2 {
        panic!(
            "{op}: padding {p} should be at most half of the effective kernel size {eff} (input {:?})",
            x.shape()
        );
    }
    let num = (n + 2 * p) as isize - eff as isize + if ceil { s as isize - 1 } else { 0 };
    let mut out = num.div_euclid(s as isize) + 1;
    if ceil && out > 0 && (out - 1) * s as isize >= (n + p) as isize {
        out -= 1;
    }
    if out < 1 {
        panic!(
            "{op}: output size is too small: input {:?} with kernel {k} (dilated {eff}), stride {s}, padding {p}",
            x.shape()
        );
    }
    out as usize
}

#[track_caller]
fn float_input(op: &str, x: &Tensor) {
    if !x.dtype().is_float() {
        panic!("{op}: expected a float input, got {}", x.dtype());
    }
}

#[track_caller]
fn geom(
    op: &str,
    x: &Tensor,
    k: (usize, usize),
    s: (usize, usize),
    p: (usize, usize),
    d: (usize, usize),
    ceil: bool,
) -> Pool2dGeom {
    float_input(op, x);
    let xs = x.shape();
    Pool2dGeom {
        planes: xs[0] * xs[1],
        h: xs[2],
        w: xs[3],
        kh: k.0,
        kw: k.1,
        sh: s.0,
        sw: s.1,
        ph: p.0,
        pw: p.1,
        dh: d.0,
        dw: d.1,
        oh: out_size(op, x, xs[2], k.0, s.0, p.0, d.0, ceil),
        ow: out_size(op, x, xs[3], k.1, s.1, p.1, d.1, ceil),
    }
}

fn out_shape(x: &Tensor, g: &Pool2dGeom) -> [usize; 4] {
    [x.shape()[0], x.shape()[1], g.oh, g.ow]
}

/// Average pooling over `kernel_size` windows (one number or `(h, w)`) of `[N, C, H, W]`
/// (or `[C, H, W]`) input with PyTorch's defaults, like `F.avg_pool2d(x, kernel_size)`.
/// Its `grad_fn` is `AvgPool2DBackward0`.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::arange(16).float().view(&[1, 1, 4, 4]).requires_grad_(true);
/// let y = F::avg_pool2d(&x, 2);
/// assert_eq!(y.to_vec::<f32>(), vec![2.5, 4.5, 10.5, 12.5]);
/// assert_eq!(y.grad_fn(), Some("AvgPool2DBackward0"));
/// // The tutorial's last step: [64, 10, 4, 4] -> [64, 10, 1, 1].
/// assert_eq!(F::avg_pool2d(&Tensor::ones(&[64, 10, 4, 4]), 4).shape(), &[64, 10, 1, 1]);
/// ```
///
/// # Panics
/// As [`avg_pool2d_with`].
#[track_caller]
pub fn avg_pool2d(x: &Tensor, kernel_size: impl IntoPair) -> Tensor {
    avg_pool2d_with(x, kernel_size, AvgPool2dOptions::new())
}

/// [`avg_pool2d`] with keyword arguments, like `F.avg_pool2d(x, 3, stride=1, padding=1,
/// divisor_override=9)`.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::ones(&[1, 1, 3, 3]);
/// let o = F::AvgPool2dOptions::new().stride(1).padding(1);
/// // Corners see 4 ones among 9 cells; without the padding in the divisor, 4 of 4.
/// assert_eq!(F::avg_pool2d_with(&x, 3, o).to_vec::<f32>()[0], 4.0 / 9.0);
/// assert_eq!(F::avg_pool2d_with(&x, 3, o.count_include_pad(false)).to_vec::<f32>()[0], 1.0);
/// // divisor_override divides every window's sum by the given number.
/// assert_eq!(F::avg_pool2d_with(&x, 3, o.divisor_override(2)).to_vec::<f32>()[0], 2.0);
/// ```
///
/// # Panics
/// For input that is not 3-D or 4-D or not float, a zero kernel, stride or divisor,
/// padding over half the kernel, or a window larger than the padded input.
#[track_caller]
pub fn avg_pool2d_with(
    x: &Tensor,
    kernel_size: impl IntoPair,
    options: AvgPool2dOptions,
) -> Tensor {
    let (xb, added) = batched("avg_pool2d", x);
    let k = kernel_size.into_pair();
    let o = options;
    if o.divisor_override == Some(0) {
        panic!("avg_pool2d: divisor must be not zero (divisor_override = 0)");
    }
    let g = geom(
        "avg_pool2d",
        &xb,
        k,
        o.stride.unwrap_or(k),
        o.padding,
        (1, 1),
        o.ceil_mode,
    );
    let divisor = AvgDivisor {
        count_include_pad: o.count_include_pad,
        divisor_override: o.divisor_override,
    };
    let storage = xb.storage().avg_pool2d(xb.layout(), &g, divisor);
    let in_shape = xb.shape().to_vec();
    let y = Tensor::from_op(
        storage,
        &out_shape(&xb, &g),
        "AvgPool2DBackward0",
        &[&xb],
        |_| {
            Box::new(AvgPool2DBackward {
                geom: g,
                divisor,
                in_shape,
            })
        },
    );
    unbatched(y, added)
}

/// Max pooling over `kernel_size` windows of `[N, C, H, W]` (or `[C, H, W]`) input with
/// PyTorch's defaults, like `F.max_pool2d(x, kernel_size)`. Its `grad_fn` is
/// `MaxPool2DWithIndicesBackward0`; the gradient goes to the first maximum of each window.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::arange(16).float().view(&[1, 4, 4]);
/// let y = F::max_pool2d(&x, 2);
/// assert_eq!(y.shape(), &[1, 2, 2]);
/// assert_eq!(y.to_vec::<f32>(), vec![5.0, 7.0, 13.0, 15.0]);
/// ```
///
/// # Panics
/// As [`avg_pool2d_with`], with the dilated kernel.
#[track_caller]
pub fn max_pool2d(x: &Tensor, kernel_size: impl IntoPair) -> Tensor {
    max_pool2d_with_indices_with(x, kernel_size, MaxPool2dOptions::new()).0
}

/// [`max_pool2d`] with keyword arguments, like `F.max_pool2d(x, 3, stride=2, padding=1)`.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::arange(16).float().view(&[1, 1, 4, 4]);
/// let y = F::max_pool2d_with(&x, 3, F::MaxPool2dOptions::new().stride(2).padding(1));
/// assert_eq!(y.to_vec::<f32>(), vec![5.0, 7.0, 13.0, 15.0]);
/// ```
///
/// # Panics
/// As [`avg_pool2d_with`], with the dilated kernel.
#[track_caller]
pub fn max_pool2d_with(
    x: &Tensor,
    kernel_size: impl IntoPair,
    options: MaxPool2dOptions,
) -> Tensor {
    max_pool2d_with_indices_with(x, kernel_size, options).0
}

/// [`max_pool2d`] that also returns where each maximum is: its flat index `y * W + x`
/// within its `[H, W]` plane (int64), as `return_indices=True` does in PyTorch.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::tensor([[[[1.0, 3.0], [2.0, 0.0]]]]);
/// let (y, i) = F::max_pool2d_with_indices(&x, 2);
/// assert_eq!((y.item::<f32>(), i.item::<i64>()), (3.0, 1));
/// ```
///
/// # Panics
/// As [`max_pool2d`].
#[track_caller]
pub fn max_pool2d_with_indices(x: &Tensor, kernel_size: impl IntoPair) -> (Tensor, Tensor) {
    max_pool2d_with_indices_with(x, kernel_size, MaxPool2dOptions::new())
}

/// [`max_pool2d_with_indices`] with keyword arguments.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::arange(9).float().view(&[1, 1, 3, 3]);
/// let (y, i) = F::max_pool2d_with_indices_with(&x, 2, F::MaxPool2dOptions::new().stride(1));
/// assert_eq!(i.to_vec::<i64>(), vec![4, 5, 7, 8]);
/// ```
///
/// # Panics
/// As [`max_pool2d`].
#[track_caller]
pub fn max_pool2d_with_indices_with(
    x: &Tensor,
    kernel_size: impl IntoPair,
    options: MaxPool2dOptions,
) -> (Tensor, Tensor) {
    let (xb, added) = batched("max_pool2d", x);
    let k = kernel_size.into_pair();
    let o = options;
    let g = geom(
        "max_pool2d",
        &xb,
        k,
        o.stride.unwrap_or(k),
        o.padding,
        o.dilation,
        o.ceil_mode,
    );
    let (sv, si) = xb.storage().max_pool2d(xb.layout(), &g);
    let shape = out_shape(&xb, &g);
    let indices = Tensor::from_storage(si, &shape);
    let in_shape = xb.shape().to_vec();
    let idx = indices.clone();
    let y = Tensor::from_op(sv, &shape, "MaxPool2DWithIndicesBackward0", &[&xb], |_| {
        Box::new(MaxPool2DWithIndicesBackward {
            geom: g,
            indices: idx,
            in_shape,
        })
    });
    (unbatched(y, added), unbatched(indices, added))
}

/// Average pooling to a fixed `output_size` `(oh, ow)` (or one number for both), as
/// `torch.nn.functional.adaptive_avg_pool2d`: output row `i` averages input rows
/// `floor(i*H/oh) .. ceil((i+1)*H/oh)`, so any size works, dividing `H` or not. Its
/// `grad_fn` is `AdaptiveAvgPool2DBackward0`.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::arange(10).float().view(&[1, 1, 2, 5]);
/// assert_eq!(F::adaptive_avg_pool2d(&x, 1).to_vec::<f32>(), vec![4.5]);
/// let y = F::adaptive_avg_pool2d(&x, (1, 3));
/// assert_eq!(y.to_vec::<f32>(), vec![3.0, 4.5, 6.0]);
/// ```
///
/// # Panics
/// For input that is not 3-D or 4-D or not float, or a zero output size.
#[track_caller]
pub fn adaptive_avg_pool2d(x: &Tensor, output_size: impl IntoPair) -> Tensor {
    let (oh, ow) = output_size.into_pair();
    let (x, added) = batched("adaptive_avg_pool2d", x);
    float_input("adaptive_avg_pool2d", &x);
    let xs = x.shape();
    if oh == 0 || ow == 0 || xs[2] == 0 || xs[3] == 0 {
        panic!(
            "adaptive_avg_pool2d: output size ({oh}, {ow}) and input {xs:?} must have non-zero height and width"
        );
    }
    let g = Pool2dGeom {
        planes: xs[0] * xs[1],
        h: xs[2],
        w: xs[3],
        kh: 0,
        kw: 0,
        sh: 0,
        sw: 0,
        ph: 0,
        pw: 0,
        dh: 0,
        dw: 0,
        oh,
        ow,
    };
    let storage = x.storage().adaptive_avg_pool2d(x.layout(), &g);
    let in_shape = xs.to_vec();
    let y = Tensor::from_op(
        storage,
        &out_shape(&x, &g),
        "AdaptiveAvgPool2DBackward0",
        &[&x],
        |_| Box::new(AdaptiveAvgPool2DBackward { geom: g, in_shape }),
    );
    unbatched(y, added)
}
