//! Pooling, as `torch.nn.functional.avg_pool2d`, `max_pool2d` and `adaptive_avg_pool2d`.
use super::conv::{IntoPair, batched};
use crate::Tensor;
use crate::autograd::rules::conv::{
    AdaptiveAvgPool2DBackward, AvgPool2DBackward, MaxPool2DWithIndicesBackward,
};
use crate::backend::Pool2dGeom;

/// The options of [`avg_pool2d`], PyTorch's defaults: stride = kernel size, no padding,
/// floor rounding, padding zeros counted in the divisor.
///
/// ```
/// use firelight::nn::functional::AvgPool2dOptions;
/// let o = AvgPool2dOptions::new(4);
/// assert_eq!((o.kernel_size, o.stride, o.padding), ((4, 4), None, (0, 0)));
/// assert!(!o.ceil_mode && o.count_include_pad);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvgPool2dOptions {
    /// Window size `(h, w)`.
    pub kernel_size: (usize, usize),
    /// Step between windows; `None` means the kernel size.
    pub stride: Option<(usize, usize)>,
    /// Zeros added on both sides (at most half the kernel).
    pub padding: (usize, usize),
    /// Rounds the output size up instead of down (windows may then hang over the end).
    pub ceil_mode: bool,
    /// Whether padding zeros count in each window's divisor.
    pub count_include_pad: bool,
}

impl AvgPool2dOptions {
    /// Options for a `kernel_size` window with PyTorch's defaults.
    ///
    /// ```
    /// let o = firelight::nn::functional::AvgPool2dOptions::new((2, 3));
    /// assert_eq!(o.kernel_size, (2, 3));
    /// ```
    pub fn new(kernel_size: impl IntoPair) -> Self {
        AvgPool2dOptions {
            kernel_size: kernel_size.into_pair(),
            stride: None,
            padding: (0, 0),
            ceil_mode: false,
            count_include_pad: true,
        }
    }

    /// Sets the stride.
    ///
    /// ```
    /// let o = firelight::nn::functional::AvgPool2dOptions::new(3).stride(1);
    /// assert_eq!(o.stride, Some((1, 1)));
    /// ```
    pub fn stride(mut self, s: impl IntoPair) -> Self {
        self.stride = Some(s.into_pair());
        self
    }

    /// Sets the padding.
    ///
    /// ```
    /// let o = firelight::nn::functional::AvgPool2dOptions::new(3).padding(1);
    /// assert_eq!(o.padding, (1, 1));
    /// ```
    pub fn padding(mut self, p: impl IntoPair) -> Self {
        self.padding = p.into_pair();
        self
    }

    /// Sets `ceil_mode`.
    ///
    /// ```
    /// assert!(firelight::nn::functional::AvgPool2dOptions::new(2).ceil_mode(true).ceil_mode);
    /// ```
    pub fn ceil_mode(mut self, on: bool) -> Self {
        self.ceil_mode = on;
        self
    }

    /// Sets `count_include_pad`.
    ///
    /// ```
    /// let o = firelight::nn::functional::AvgPool2dOptions::new(2).count_include_pad(false);
    /// assert!(!o.count_include_pad);
    /// ```
    pub fn count_include_pad(mut self, on: bool) -> Self {
        self.count_include_pad = on;
        self
    }
}

/// The options of [`max_pool2d`], PyTorch's defaults: stride = kernel size, no padding,
/// dilation 1, floor rounding.
///
/// ```
/// use firelight::nn::functional::MaxPool2dOptions;
/// let o = MaxPool2dOptions::new(2);
/// assert_eq!((o.kernel_size, o.stride, o.padding, o.dilation), ((2, 2), None, (0, 0), (1, 1)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPool2dOptions {
    /// Window size `(h, w)`.
    pub kernel_size: (usize, usize),
    /// Step between windows; `None` means the kernel size.
    pub stride: Option<(usize, usize)>,
    /// Implicit `-inf` padding on both sides (at most half the dilated kernel).
    pub padding: (usize, usize),
    /// Spacing between window elements.
    pub dilation: (usize, usize),
    /// Rounds the output size up instead of down.
    pub ceil_mode: bool,
}

impl MaxPool2dOptions {
    /// Options for a `kernel_size` window with PyTorch's defaults.
    ///
    /// ```
    /// let o = firelight::nn::functional::MaxPool2dOptions::new(3);
    /// assert_eq!(o.kernel_size, (3, 3));
    /// ```
    pub fn new(kernel_size: impl IntoPair) -> Self {
        MaxPool2dOptions {
            kernel_size: kernel_size.into_pair(),
            stride: None,
            padding: (0, 0),
            dilation: (1, 1),
            ceil_mode: false,
        }
    }

    /// Sets the stride.
    ///
    /// ```
    /// let o = firelight::nn::functional::MaxPool2dOptions::new(3).stride(2);
    /// assert_eq!(o.stride, Some((2, 2)));
    /// ```
    pub fn stride(mut self, s: impl IntoPair) -> Self {
        self.stride = Some(s.into_pair());
        self
    }

    /// Sets the padding.
    ///
    /// ```
    /// let o = firelight::nn::functional::MaxPool2dOptions::new(3).padding(1);
    /// assert_eq!(o.padding, (1, 1));
    /// ```
    pub fn padding(mut self, p: impl IntoPair) -> Self {
        self.padding = p.into_pair();
        self
    }

    /// Sets the dilation.
    ///
    /// ```
    /// let o = firelight::nn::functional::MaxPool2dOptions::new(2).dilation(2);
    /// assert_eq!(o.dilation, (2, 2));
    /// ```
    pub fn dilation(mut self, d: impl IntoPair) -> Self {
        self.dilation = d.into_pair();
        self
    }

    /// Sets `ceil_mode`.
    ///
    /// ```
    /// assert!(firelight::nn::functional::MaxPool2dOptions::new(2).ceil_mode(true).ceil_mode);
    /// ```
    pub fn ceil_mode(mut self, on: bool) -> Self {
        self.ceil_mode = on;
        self
    }
}

/// PyTorch's pooling output size for one dim, checking the arguments as it does.
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

fn float_input(op: &str, x: &Tensor) {
    if !x.dtype().is_float() {
        panic!("{op}: expected a float input, got {}", x.dtype());
    }
}

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

/// Average pooling over `kernel_size` windows of `[N, C, H, W]` (or `[C, H, W]`) input,
/// as `torch.nn.functional.avg_pool2d`. Its `grad_fn` is `AvgPool2DBackward0`.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::arange(16).float().view(&[1, 1, 4, 4]).requires_grad_(true);
/// let y = F::avg_pool2d(&x, &F::AvgPool2dOptions::new(2));
/// assert_eq!(y.to_vec::<f32>(), vec![2.5, 4.5, 10.5, 12.5]);
/// assert_eq!(y.grad_fn(), Some("AvgPool2DBackward0"));
/// // The tutorial's last step: [64, 10, 4, 4] -> [64, 10, 1, 1].
/// let z = F::avg_pool2d(&Tensor::ones(&[64, 10, 4, 4]), &F::AvgPool2dOptions::new(4));
/// assert_eq!(z.shape(), &[64, 10, 1, 1]);
/// ```
///
/// # Panics
/// For input that is not 3-D or 4-D or not float, a zero kernel or stride, padding over
/// half the kernel, or a window larger than the padded input.
pub fn avg_pool2d(x: &Tensor, opts: &AvgPool2dOptions) -> Tensor {
    batched("avg_pool2d", x, |x| {
        let o = opts;
        let s = o.stride.unwrap_or(o.kernel_size);
        let g = geom(
            "avg_pool2d",
            x,
            o.kernel_size,
            s,
            o.padding,
            (1, 1),
            o.ceil_mode,
        );
        let inc = o.count_include_pad;
        let storage = x.storage().avg_pool2d(x.layout(), &g, inc);
        let in_shape = x.shape().to_vec();
        Tensor::from_op(
            storage,
            &out_shape(x, &g),
            "AvgPool2DBackward0",
            &[x],
            |_| {
                Box::new(AvgPool2DBackward {
                    geom: g,
                    count_include_pad: inc,
                    in_shape,
                })
            },
        )
    })
}

/// Max pooling over `kernel_size` windows of `[N, C, H, W]` (or `[C, H, W]`) input, as
/// `torch.nn.functional.max_pool2d`. Its `grad_fn` is `MaxPool2DWithIndicesBackward0`;
/// the gradient goes to the first maximum of each window.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::arange(16).float().view(&[1, 4, 4]);
/// let y = F::max_pool2d(&x, &F::MaxPool2dOptions::new(2));
/// assert_eq!(y.shape(), &[1, 2, 2]);
/// assert_eq!(y.to_vec::<f32>(), vec![5.0, 7.0, 13.0, 15.0]);
/// ```
///
/// # Panics
/// As [`avg_pool2d`], with the dilated kernel.
pub fn max_pool2d(x: &Tensor, opts: &MaxPool2dOptions) -> Tensor {
    max_pool2d_with_indices(x, opts).0
}

/// [`max_pool2d`] that also returns where each maximum is: its flat index `y * W + x`
/// within its `[H, W]` plane (i64), as `return_indices=True` does in PyTorch.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::tensor([[[[1.0, 3.0], [2.0, 0.0]]]]);
/// let (y, i) = F::max_pool2d_with_indices(&x, &F::MaxPool2dOptions::new(2));
/// assert_eq!((y.item::<f32>(), i.item::<i64>()), (3.0, 1));
/// ```
pub fn max_pool2d_with_indices(x: &Tensor, opts: &MaxPool2dOptions) -> (Tensor, Tensor) {
    let mut idx = None;
    let y = batched("max_pool2d", x, |x| {
        let o = opts;
        let s = o.stride.unwrap_or(o.kernel_size);
        let g = geom(
            "max_pool2d",
            x,
            o.kernel_size,
            s,
            o.padding,
            o.dilation,
            o.ceil_mode,
        );
        let (sv, si) = x.storage().max_pool2d(x.layout(), &g);
        let shape = out_shape(x, &g);
        let indices = Tensor::from_storage(si, &shape);
        idx = Some(indices.clone());
        let in_shape = x.shape().to_vec();
        Tensor::from_op(sv, &shape, "MaxPool2DWithIndicesBackward0", &[x], |_| {
            Box::new(MaxPool2DWithIndicesBackward {
                geom: g,
                indices,
                in_shape,
            })
        })
    });
    let idx = idx.unwrap();
    let idx = if x.dim() == 3 { idx.squeeze(0) } else { idx };
    (y, idx)
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
pub fn adaptive_avg_pool2d(x: &Tensor, output_size: impl IntoPair) -> Tensor {
    let (oh, ow) = output_size.into_pair();
    batched("adaptive_avg_pool2d", x, |x| {
        float_input("adaptive_avg_pool2d", x);
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
        Tensor::from_op(
            storage,
            &out_shape(x, &g),
            "AdaptiveAvgPool2DBackward0",
            &[x],
            |_| Box::new(AdaptiveAvgPool2DBackward { geom: g, in_shape }),
        )
    })
}
