//! Simple layers: Linear, activations, Flatten, and Lambda for any closure.
use super::functional::{Approximate, GeluOptions};
use super::{Module, Parameter, Visit, init};
use crate::Tensor;

/// `y = x W^T + b`, like `torch.nn.Linear`, with PyTorch's default initialisation
/// (weight Kaiming-uniform with `a = sqrt(5)`, bias uniform in `±1/sqrt(in_features)`).
///
/// ```
/// use firelight::nn::{Linear, Module};
/// let lin = Linear::new(784, 10);
/// assert_eq!(lin.weight.shape(), &[10, 784]);
/// let y = lin.forward(&firelight::Tensor::zeros(&[64, 784]));
/// assert_eq!(y.shape(), &[64, 10]);
/// ```
pub struct Linear {
    /// `[out_features, in_features]`.
    pub weight: Parameter,
    /// `[out_features]`, or `None` after [`.bias(false)`](Linear::bias).
    pub bias: Option<Parameter>,
}

impl Linear {
    /// A linear layer from `in_features` to `out_features`, with a bias.
    pub fn new(in_features: usize, out_features: usize) -> Linear {
        let weight = Tensor::zeros(&[out_features, in_features]);
        init::kaiming_uniform_(&weight, 5f64.sqrt(), init::FanMode::FanIn);
        Linear {
            weight: Parameter::new(weight),
            bias: Some(Linear::default_bias(in_features, out_features)),
        }
    }

    /// PyTorch's bias initialisation: uniform in ±1/sqrt(in_features).
    fn default_bias(in_features: usize, out_features: usize) -> Parameter {
        let bias = Tensor::zeros(&[out_features]);
        let bound = if in_features > 0 {
            1.0 / (in_features as f64).sqrt()
        } else {
            0.0
        };
        init::uniform_(&bias, -bound, bound);
        Parameter::new(bias)
    }

    /// With or without the bias, PyTorch's `bias=` keyword (default true).
    ///
    /// ```
    /// let lin = firelight::nn::Linear::new(784, 10).bias(false);
    /// assert!(lin.bias.is_none());
    /// ```
    pub fn bias(mut self, bias: bool) -> Linear {
        if !bias {
            self.bias = None;
        } else if self.bias.is_none() {
            let (out_f, in_f) = (self.weight.shape()[0], self.weight.shape()[1]);
            self.bias = Some(Linear::default_bias(in_f, out_f));
        }
        self
    }
}

impl Visit for Linear {
    fn named_own_parameters(&self) -> Vec<(String, Tensor)> {
        weight_and_bias(&self.weight, self.bias.as_ref())
    }
}

/// `[("weight", w), ("bias", b)]`, without the bias when there is none.
pub(super) fn weight_and_bias(
    weight: &Parameter,
    bias: Option<&Parameter>,
) -> Vec<(String, Tensor)> {
    let mut p = vec![("weight".to_string(), weight.tensor().clone())];
    if let Some(b) = bias {
        p.push(("bias".to_string(), b.tensor().clone()));
    }
    p
}

impl Module for Linear {
    #[track_caller]
    fn forward(&self, x: &Tensor) -> Tensor {
        let y = x.matmul(&self.weight.t());
        match &self.bias {
            Some(b) => y + &**b,
            None => y,
        }
    }
}

/// `max(x, 0)` as a layer.
///
/// ```
/// use firelight::nn::{Module, ReLU};
/// let y = ReLU.forward(&firelight::Tensor::tensor([-1.0, 1.0]));
/// assert_eq!(y.to_vec::<f32>(), vec![0.0, 1.0]);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ReLU;

impl Visit for ReLU {}

impl Module for ReLU {
    #[track_caller]
    fn forward(&self, x: &Tensor) -> Tensor {
        x.relu()
    }
}

/// The logistic sigmoid as a layer.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sigmoid;

impl Visit for Sigmoid {}

impl Module for Sigmoid {
    #[track_caller]
    fn forward(&self, x: &Tensor) -> Tensor {
        x.sigmoid()
    }
}

/// The hyperbolic tangent as a layer.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tanh;

impl Visit for Tanh {}

impl Module for Tanh {
    #[track_caller]
    fn forward(&self, x: &Tensor) -> Tensor {
        x.tanh()
    }
}

/// Flattens dims `start_dim..=end_dim`, like `torch.nn.Flatten`: by default every dim
/// after the batch dim; `nn.Flatten(0)` is `Flatten::new().start_dim(0)`.
///
/// ```
/// use firelight::nn::{Flatten, Module};
/// let y = Flatten::new().forward(&firelight::Tensor::zeros(&[64, 10, 1, 1]));
/// assert_eq!(y.shape(), &[64, 10]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Flatten {
    start_dim: i64,
    end_dim: i64,
}

impl Flatten {
    /// Flattens everything after the batch dim (`start_dim=1, end_dim=-1`).
    pub fn new() -> Flatten {
        Flatten {
            start_dim: 1,
            end_dim: -1,
        }
    }

    /// Sets the first dim to flatten, PyTorch's `start_dim=` keyword (default 1).
    ///
    /// ```
    /// use firelight::nn::{Flatten, Module};
    /// let y = Flatten::new().start_dim(0).forward(&firelight::Tensor::zeros(&[2, 3, 4]));
    /// assert_eq!(y.shape(), &[24]);
    /// ```
    pub fn start_dim(mut self, start_dim: i64) -> Flatten {
        self.start_dim = start_dim;
        self
    }

    /// Sets the last dim to flatten, PyTorch's `end_dim=` keyword (default -1).
    ///
    /// ```
    /// use firelight::nn::{Flatten, Module};
    /// let y = Flatten::new().end_dim(2).forward(&firelight::Tensor::zeros(&[2, 3, 4, 5]));
    /// assert_eq!(y.shape(), &[2, 12, 5]);
    /// ```
    pub fn end_dim(mut self, end_dim: i64) -> Flatten {
        self.end_dim = end_dim;
        self
    }
}

impl Default for Flatten {
    fn default() -> Flatten {
        Flatten::new()
    }
}

impl Visit for Flatten {}

impl Module for Flatten {
    #[track_caller]
    fn forward(&self, x: &Tensor) -> Tensor {
        x.flatten(self.start_dim, self.end_dim)
    }
}

/// Any function of a tensor as a layer: the tutorial's `Lambda`.
///
/// ```
/// use firelight::nn::{Lambda, Module};
/// use firelight::Tensor;
/// let preprocess = Lambda::new(|x: &Tensor| x.view(&[-1, 1, 28, 28]));
/// assert_eq!(preprocess.forward(&Tensor::zeros(&[64, 784])).shape(), &[64, 1, 28, 28]);
/// ```
pub struct Lambda {
    func: Box<dyn Fn(&Tensor) -> Tensor + Send + Sync>,
}

impl Lambda {
    /// Wraps `func`.
    pub fn new(func: impl Fn(&Tensor) -> Tensor + Send + Sync + 'static) -> Lambda {
        Lambda {
            func: Box::new(func),
        }
    }
}

impl Visit for Lambda {}

impl Module for Lambda {
    fn forward(&self, x: &Tensor) -> Tensor {
        (self.func)(x)
    }
}

/// Leaky ReLU as a layer (`negative_slope` 0.01 by default, as PyTorch).
///
/// ```
/// use firelight::nn::{LeakyReLU, Module};
/// let y = LeakyReLU::new(0.1).forward(&firelight::Tensor::tensor([-1.0, 2.0]));
/// assert_eq!(y.to_vec::<f32>(), vec![-0.1, 2.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LeakyReLU {
    negative_slope: f64,
}

impl LeakyReLU {
    /// With the given slope for negative inputs.
    pub fn new(negative_slope: f64) -> LeakyReLU {
        LeakyReLU { negative_slope }
    }
}

impl Default for LeakyReLU {
    fn default() -> LeakyReLU {
        LeakyReLU::new(0.01)
    }
}

impl Visit for LeakyReLU {}

impl Module for LeakyReLU {
    #[track_caller]
    fn forward(&self, x: &Tensor) -> Tensor {
        super::functional::leaky_relu(x, self.negative_slope)
    }
}

/// GELU as a layer, like `torch.nn.GELU`: the exact erf form by default,
/// `nn.GELU(approximate='tanh')` being `GELU::new().approximate(Approximate::Tanh)`.
///
/// ```
/// use firelight::nn::{GELU, Module};
/// let y = GELU::new().forward(&firelight::Tensor::zeros(&[2]));
/// assert_eq!(y.to_vec::<f32>(), vec![0.0, 0.0]);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct GELU {
    options: GeluOptions,
}

impl GELU {
    /// The exact form (`approximate='none'`).
    pub fn new() -> GELU {
        GELU::default()
    }

    /// The keyword arguments.
    ///
    /// ```
    /// use firelight::nn::{GELU, functional::Approximate};
    /// assert_eq!(GELU::new().options().approximate, Approximate::None);
    /// ```
    pub fn options(&self) -> &GeluOptions {
        &self.options
    }
}

layer_keywords! {
    GELU.options: GeluOptions {
        approximate(approximate: Approximate),
            example: "use firelight::nn::functional::Approximate;\nassert_eq!(GELU::new().approximate(Approximate::Tanh).options().approximate, Approximate::Tanh);";
    }
}

impl Visit for GELU {}

impl Module for GELU {
    #[track_caller]
    fn forward(&self, x: &Tensor) -> Tensor {
        super::functional::gelu_with(x, self.options)
    }
}

/// Dropout: in training, zeroes each element with probability `p` and scales the rest by
/// `1 / (1 - p)`; the identity in evaluation mode.
///
/// ```
/// use firelight::nn::{Dropout, Module};
/// let d = Dropout::new(0.5);
/// let x = firelight::Tensor::ones(&[1000]);
/// let kept = d.forward(&x).gt(0.0).float().mean(..).item::<f32>();
/// assert!((kept - 0.5).abs() < 0.1);
/// d.eval();
/// assert_eq!(d.forward(&x).sum(..).item::<f32>(), 1000.0);
/// ```
#[derive(Debug)]
pub struct Dropout {
    p: f64,
    training: std::sync::atomic::AtomicBool,
}

impl Dropout {
    /// Drops with probability `p` (in `[0, 1]`).
    #[track_caller]
    pub fn new(p: f64) -> Dropout {
        assert!(
            (0.0..=1.0).contains(&p),
            "Dropout: probability must be between 0 and 1, got {p}"
        );
        Dropout {
            p,
            training: std::sync::atomic::AtomicBool::new(true),
        }
    }
}

impl Module for Dropout {
    #[track_caller]
    fn forward(&self, x: &Tensor) -> Tensor {
        super::functional::dropout(x, self.p, self.is_training())
    }
}

impl Visit for Dropout {
    fn set_own_training(&self, training: bool) {
        self.training
            .store(training, std::sync::atomic::Ordering::Relaxed);
    }
    fn is_training(&self) -> bool {
        self.training.load(std::sync::atomic::Ordering::Relaxed)
    }
}
