//! Convolution and pooling layers over `nn::functional`.
use super::functional::{self as F, AvgPool2dOptions, Conv2dOptions, IntoPair, MaxPool2dOptions};
use super::layers::weight_and_bias;
use super::{Module, Parameter, Visit, init};
use crate::Tensor;

/// A 2-D convolution, like `torch.nn.Conv2d`: `nn.Conv2d(1, 16, 3, stride=2, padding=1)` is
/// `Conv2d::new(1, 16, 3).stride(2).padding(1)` (the keywords are setters, as for every
/// layer). Weight `[out, in / groups, kh, kw]` and bias are initialised as PyTorch does
/// (Kaiming-uniform with `a = sqrt(5)`, bias uniform in `±1/sqrt(fan_in)`).
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
    /// `[out_channels]`, or `None` after [`.bias(false)`](Conv2d::bias).
    pub bias: Option<Parameter>,
    in_channels: usize,
    out_channels: usize,
    kernel_size: (usize, usize),
    options: Conv2dOptions,
}

impl Conv2d {
    /// A convolution from `in_channels` to `out_channels` with a `kernel_size` kernel
    /// (a number or a pair), stride 1, no padding, with a bias.
    #[track_caller]
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

    #[track_caller]
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

    /// Splits channels into `groups`, PyTorch's `groups=` keyword (re-initialises the
    /// weight, whose shape depends on it).
    ///
    /// ```
    /// let conv = firelight::nn::Conv2d::new(4, 8, 3).groups(2);
    /// assert_eq!(conv.weight.shape(), &[8, 2, 3, 3]);
    /// ```
    ///
    /// # Panics
    /// If `groups` does not divide both channel counts.
    #[track_caller]
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

    /// With or without the bias, PyTorch's `bias=` keyword (default true).
    ///
    /// ```
    /// let conv = firelight::nn::Conv2d::new(1, 16, 3).bias(false);
    /// assert!(conv.bias.is_none());
    /// ```
    #[track_caller]
    pub fn bias(mut self, bias: bool) -> Conv2d {
        if !bias {
            self.bias = None;
        } else if self.bias.is_none() {
            let (_, b) = Conv2d::init(
                self.in_channels,
                self.out_channels,
                self.kernel_size,
                self.options.groups,
            );
            self.bias = Some(b);
        }
        self
    }

    /// The stride, padding, dilation and groups.
    ///
    /// ```
    /// let conv = firelight::nn::Conv2d::new(1, 16, 3).padding(1);
    /// assert_eq!(conv.options().padding, (1, 1));
    /// ```
    pub fn options(&self) -> &Conv2dOptions {
        &self.options
    }
}

layer_keywords! {
    Conv2d.options: Conv2dOptions {
        stride(stride: impl IntoPair),
            example: "assert_eq!(Conv2d::new(1, 16, 3).stride(2).options().stride, (2, 2));";
        padding(padding: impl IntoPair),
            example: "assert_eq!(Conv2d::new(1, 16, 3).padding((1, 0)).options().padding, (1, 0));";
        dilation(dilation: impl IntoPair),
            example: "assert_eq!(Conv2d::new(1, 16, 3).dilation(2).options().dilation, (2, 2));";
    }
}

impl Visit for Conv2d {
    fn named_own_parameters(&self) -> Vec<(String, Tensor)> {
        weight_and_bias(&self.weight, self.bias.as_ref())
    }
}

impl Module for Conv2d {
    #[track_caller]
    fn forward(&self, x: &Tensor) -> Tensor {
        F::conv2d_with(x, &self.weight, self.bias.as_deref(), self.options)
    }
}

/// Average pooling, like `torch.nn.AvgPool2d`: `nn.AvgPool2d(3, stride=1, padding=1)` is
/// `AvgPool2d::new(3).stride(1).padding(1)`.
///
/// ```
/// use firelight::nn::{AvgPool2d, Module};
/// let y = AvgPool2d::new(4).forward(&firelight::Tensor::ones(&[2, 10, 4, 4]));
/// assert_eq!(y.shape(), &[2, 10, 1, 1]);
/// ```
pub struct AvgPool2d {
    kernel_size: (usize, usize),
    options: AvgPool2dOptions,
}

impl AvgPool2d {
    /// Pooling over `kernel_size` windows (a number or a pair), stride = kernel size.
    pub fn new(kernel_size: impl IntoPair) -> AvgPool2d {
        AvgPool2d {
            kernel_size: kernel_size.into_pair(),
            options: AvgPool2dOptions::new(),
        }
    }

    /// The keyword arguments.
    ///
    /// ```
    /// let pool = firelight::nn::AvgPool2d::new(2).ceil_mode(true);
    /// assert!(pool.options().ceil_mode);
    /// ```
    pub fn options(&self) -> &AvgPool2dOptions {
        &self.options
    }
}

layer_keywords! {
    AvgPool2d.options: AvgPool2dOptions {
        stride(stride: impl IntoPair),
            example: "assert_eq!(AvgPool2d::new(3).stride(1).options().stride, Some((1, 1)));";
        padding(padding: impl IntoPair),
            example: "assert_eq!(AvgPool2d::new(3).padding(1).options().padding, (1, 1));";
        ceil_mode(ceil_mode: bool),
            example: "assert!(AvgPool2d::new(2).ceil_mode(true).options().ceil_mode);";
        count_include_pad(count_include_pad: bool),
            example: "assert!(!AvgPool2d::new(2).count_include_pad(false).options().count_include_pad);";
        divisor_override(divisor: usize),
            example: "assert_eq!(AvgPool2d::new(2).divisor_override(1).options().divisor_override, Some(1));";
    }
}

impl Visit for AvgPool2d {}

impl Module for AvgPool2d {
    #[track_caller]
    fn forward(&self, x: &Tensor) -> Tensor {
        F::avg_pool2d_with(x, self.kernel_size, self.options)
    }
}

/// Max pooling, like `torch.nn.MaxPool2d`: `nn.MaxPool2d(3, stride=2)` is
/// `MaxPool2d::new(3).stride(2)`.
///
/// ```
/// use firelight::nn::{MaxPool2d, Module};
/// let y = MaxPool2d::new(2).forward(&firelight::Tensor::ones(&[1, 3, 8, 8]));
/// assert_eq!(y.shape(), &[1, 3, 4, 4]);
/// ```
pub struct MaxPool2d {
    kernel_size: (usize, usize),
    options: MaxPool2dOptions,
}

impl MaxPool2d {
    /// Pooling over `kernel_size` windows (a number or a pair), stride = kernel size.
    pub fn new(kernel_size: impl IntoPair) -> MaxPool2d {
        MaxPool2d {
            kernel_size: kernel_size.into_pair(),
            options: MaxPool2dOptions::new(),
        }
    }

    /// The keyword arguments.
    ///
    /// ```
    /// let pool = firelight::nn::MaxPool2d::new(3).stride(2);
    /// assert_eq!(pool.options().stride, Some((2, 2)));
    /// ```
    pub fn options(&self) -> &MaxPool2dOptions {
        &self.options
    }
}

layer_keywords! {
    MaxPool2d.options: MaxPool2dOptions {
        stride(stride: impl IntoPair),
            example: "assert_eq!(MaxPool2d::new(3).stride(2).options().stride, Some((2, 2)));";
        padding(padding: impl IntoPair),
            example: "assert_eq!(MaxPool2d::new(3).padding(1).options().padding, (1, 1));";
        dilation(dilation: impl IntoPair),
            example: "assert_eq!(MaxPool2d::new(2).dilation(2).options().dilation, (2, 2));";
        ceil_mode(ceil_mode: bool),
            example: "assert!(MaxPool2d::new(2).ceil_mode(true).options().ceil_mode);";
    }
}

impl Visit for MaxPool2d {}

impl Module for MaxPool2d {
    #[track_caller]
    fn forward(&self, x: &Tensor) -> Tensor {
        F::max_pool2d_with(x, self.kernel_size, self.options)
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
    #[track_caller]
    fn forward(&self, x: &Tensor) -> Tensor {
        F::adaptive_avg_pool2d(x, self.0)
    }
}
