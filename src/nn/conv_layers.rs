//! Convolution and pooling layers over `nn::functional`.
use super::functional::{self as F, AvgPool2dOptions, Conv2dOptions, IntoPair, MaxPool2dOptions};
use super::layers::weight_and_bias;
use super::{Module, Parameter, Visit, init};
use crate::Tensor;

/// A 2-D convolution, like `torch.nn.Conv2d`, built PyTorch-style:
/// `Conv2d::new(1, 16, 3).stride(2).padding(1)`. Weight `[out, in / groups, kh, kw]` and
/// bias are initialised as PyTorch does (Kaiming-uniform with `a = sqrt(5)`, bias uniform in
/// `±1/sqrt(fan_in)`).
///
/// ```
/// use firelight::nn::{Conv2d, Module};
/// let conv = firelight::nn::Conv2d::new(1, 16, 3).stride(2).padding(1);
/// let y = conv.forward(&firelight::Tensor::zeros(&[64, 1, 28, 28]));
/// assert_eq!(y.shape(), &[64, 16, 14, 14]);
/// assert_eq!(conv.weight.shape(), &[16, 1, 3, 3]);
/// ```
pub struct Conv2d {
    /// `[out_channels, in_channels / groups, kh, kw]`.
    pub weight: Parameter,
    /// `[out_channels]`, or `None` after [`Conv2d::no_bias`].
    pub bias: Option<Parameter>,
    in_channels: usize,
    out_channels: usize,
    kernel_size: (usize, usize),
    options: Conv2dOptions,
}

impl Conv2d {
    /// A convolution from `in_channels` to `out_channels` with a `kernel_size` kernel
    /// (a number or a pair), stride 1, no padding, with a bias.
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: impl IntoPair) -> Conv2d {
        let kernel_size = kernel_size.into_pair();
        let options = Conv2dOptions::default();
        let (weight, bias) = Conv2d::init(in_channels, out_channels, kernel_size, options.groups);
        Conv2d {
            weight,
            bias: Some(bias),
            in_channels,
            out_channels,
            kernel_size,
            options,
        }
    }

    fn init(in_c: usize, out_c: usize, k: (usize, usize), groups: usize) -> (Parameter, Parameter) {
        assert!(
            groups > 0 && in_c.is_multiple_of(groups) && out_c.is_multiple_of(groups),
            "Conv2d: groups ({groups}) must divide in_channels ({in_c}) and out_channels ({out_c})"
        );
        let weight = Tensor::zeros(&[out_c, in_c / groups, k.0, k.1]);
        init::kaiming_uniform_(&weight, 5f64.sqrt(), init::FanMode::FanIn);
        let fan_in = (in_c / groups) * k.0 * k.1;
        let bias = Tensor::zeros(&[out_c]);
        let bound = if fan_in > 0 {
            1.0 / (fan_in as f64).sqrt()
        } else {
            0.0
        };
        init::uniform_(&bias, -bound, bound);
        (Parameter::new(weight), Parameter::new(bias))
    }

    /// Sets the stride (a number or a pair).
    pub fn stride(mut self, stride: impl IntoPair) -> Conv2d {
        self.options = self.options.stride(stride);
        self
    }

    /// Sets the zero padding (a number or a pair).
    pub fn padding(mut self, padding: impl IntoPair) -> Conv2d {
        self.options = self.options.padding(padding);
        self
    }

    /// Sets the dilation (a number or a pair).
    pub fn dilation(mut self, dilation: impl IntoPair) -> Conv2d {
        self.options = self.options.dilation(dilation);
        self
    }

    /// Splits channels into `groups` (re-initialises the weight, whose shape depends on it).
    pub fn groups(mut self, groups: usize) -> Conv2d {
        let had_bias = self.bias.is_some();
        let (w, b) = Conv2d::init(
            self.in_channels,
            self.out_channels,
            self.kernel_size,
            groups,
        );
        self.weight = w;
        self.bias = had_bias.then_some(b);
        self.options = self.options.groups(groups);
        self
    }

    /// Drops the bias (`bias=False`).
    pub fn no_bias(mut self) -> Conv2d {
        self.bias = None;
        self
    }
}

impl Visit for Conv2d {
    fn named_own_parameters(&self) -> Vec<(String, Tensor)> {
        weight_and_bias(&self.weight, self.bias.as_ref())
    }
}

impl Module for Conv2d {
    fn forward(&self, x: &Tensor) -> Tensor {
        F::conv2d(x, &self.weight, self.bias.as_deref(), &self.options)
    }
}

/// Average pooling, like `torch.nn.AvgPool2d`.
///
/// ```
/// use firelight::nn::{AvgPool2d, Module};
/// let y = AvgPool2d::new(4).forward(&firelight::Tensor::ones(&[2, 10, 4, 4]));
/// assert_eq!(y.shape(), &[2, 10, 1, 1]);
/// ```
pub struct AvgPool2d(AvgPool2dOptions);

impl AvgPool2d {
    /// Pooling over `kernel_size` windows, stride = kernel size.
    pub fn new(kernel_size: impl IntoPair) -> AvgPool2d {
        AvgPool2d(AvgPool2dOptions::new(kernel_size))
    }

    /// Pooling with every option (stride, padding, ceil_mode, count_include_pad).
    pub fn with_options(options: AvgPool2dOptions) -> AvgPool2d {
        AvgPool2d(options)
    }
}

impl Visit for AvgPool2d {}

impl Module for AvgPool2d {
    fn forward(&self, x: &Tensor) -> Tensor {
        F::avg_pool2d(x, &self.0)
    }
}

/// Max pooling, like `torch.nn.MaxPool2d`.
///
/// ```
/// use firelight::nn::{MaxPool2d, Module};
/// let y = MaxPool2d::new(2).forward(&firelight::Tensor::ones(&[1, 3, 8, 8]));
/// assert_eq!(y.shape(), &[1, 3, 4, 4]);
/// ```
pub struct MaxPool2d(MaxPool2dOptions);

impl MaxPool2d {
    /// Pooling over `kernel_size` windows, stride = kernel size.
    pub fn new(kernel_size: impl IntoPair) -> MaxPool2d {
        MaxPool2d(MaxPool2dOptions::new(kernel_size))
    }

    /// Pooling with every option (stride, padding, dilation, ceil_mode).
    pub fn with_options(options: MaxPool2dOptions) -> MaxPool2d {
        MaxPool2d(options)
    }
}

impl Visit for MaxPool2d {}

impl Module for MaxPool2d {
    fn forward(&self, x: &Tensor) -> Tensor {
        F::max_pool2d(x, &self.0)
    }
}

/// Average pooling to a fixed output size, like `torch.nn.AdaptiveAvgPool2d`.
///
/// ```
/// use firelight::nn::{AdaptiveAvgPool2d, Module};
/// let y = AdaptiveAvgPool2d::new(1).forward(&firelight::Tensor::ones(&[2, 10, 5, 7]));
/// assert_eq!(y.shape(), &[2, 10, 1, 1]);
/// ```
pub struct AdaptiveAvgPool2d((usize, usize));

impl AdaptiveAvgPool2d {
    /// Pools to `output_size` (a number or a pair).
    pub fn new(output_size: impl IntoPair) -> AdaptiveAvgPool2d {
        AdaptiveAvgPool2d(output_size.into_pair())
    }
}

impl Visit for AdaptiveAvgPool2d {}

impl Module for AdaptiveAvgPool2d {
    fn forward(&self, x: &Tensor) -> Tensor {
        F::adaptive_avg_pool2d(x, self.0)
    }
}
