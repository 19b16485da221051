//! Activation functions, as in `torch.nn.functional`.
use crate::autograd::Saved;
use crate::autograd::rules::activation::{GeluBackward, LogSoftmaxBackward, SoftmaxBackward};
use crate::tensor::wrap_dim;
use crate::{Tensor, no_grad};

/// `max(x, 0)` elementwise, like `F.relu`.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::tensor([-1.0, 0.0, 2.0]);
/// assert_eq!(F::relu(&x).to_vec::<f32>(), vec![0.0, 0.0, 2.0]);
/// ```
#[track_caller]
pub fn relu(x: &Tensor) -> Tensor {
    x.relu()
}

/// `x` where `x > 0`, else `negative_slope * x`, like `F.leaky_relu` (PyTorch's default
/// slope is `0.01`).
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::tensor([-2.0, 3.0]);
/// assert_eq!(F::leaky_relu(&x, 0.01).to_vec::<f32>(), vec![-0.02, 3.0]);
/// ```
#[track_caller]
pub fn leaky_relu(x: &Tensor, negative_slope: f64) -> Tensor {
    Tensor::where_(&x.gt(0.0), x, &(x * negative_slope))
}

/// Which form of GELU to compute, PyTorch's `approximate=` argument.
///
/// ```
/// use firelight::nn::functional::{Approximate, GeluOptions};
/// assert_eq!(GeluOptions::new().approximate, Approximate::None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Approximate {
    /// The exact `x * Phi(x)` (`'none'`, the default).
    #[default]
    None,
    /// `x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))` (`'tanh'`).
    Tanh,
}

keyword_options! {
    /// The keyword arguments of [`gelu_with`] (and of the [`GELU`](crate::nn::GELU) layer),
    /// starting from PyTorch's default: the exact form.
    ///
    /// ```
    /// use firelight::nn::functional::{Approximate, GeluOptions};
    /// let o = GeluOptions::new().approximate(Approximate::Tanh);
    /// assert_eq!(o.approximate, Approximate::Tanh);
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct GeluOptions {
        /// The exact form, or the tanh approximation.
        approximate: Approximate = Approximate::None,
        fn approximate(approximate: Approximate) => approximate,
        example: "assert_eq!(GeluOptions::new().approximate(Approximate::Tanh).approximate, Approximate::Tanh);";
    }
}

/// The Gaussian error linear unit in its exact form `x * Phi(x) = x/2 * (1 + erf(x/sqrt 2))`,
/// PyTorch's default for `F.gelu`.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::from_vec(vec![-1.0f64, 0.0, 1.0], &[3]);
/// let y = F::gelu(&x).to_vec::<f64>();
/// assert!((y[0] + 0.15865525393145707).abs() < 1e-15);
/// assert!((y[2] - 0.8413447460685429).abs() < 1e-15);
/// ```
#[track_caller]
pub fn gelu(x: &Tensor) -> Tensor {
    gelu_with(x, GeluOptions::new())
}

/// [`gelu`] with keyword arguments: `F::gelu_with(x, GeluOptions::new().approximate(Tanh))`
/// is `F.gelu(x, approximate='tanh')`, `x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))`.
///
/// ```
/// use firelight::{nn::functional::{self as F, Approximate, GeluOptions}, Tensor};
/// let x = Tensor::from_vec(vec![1.0f64], &[1]);
/// let tanh = GeluOptions::new().approximate(Approximate::Tanh);
/// assert!((F::gelu_with(&x, tanh).item::<f64>() - 0.8411919906082768).abs() < 1e-15);
/// ```
#[track_caller]
pub fn gelu_with(x: &Tensor, options: GeluOptions) -> Tensor {
    let x = x.to_dtype(x.float_dtype());
    let tanh = options.approximate == Approximate::Tanh;
    let out = {
        let _g = no_grad();
        if tanh {
            let inner = (&x + x.pow(3) * GELU_KAPPA) * GELU_BETA;
            &x * (inner.tanh() + 1.0) * 0.5
        } else {
            &x * ((&x * std::f64::consts::FRAC_1_SQRT_2).erf() + 1.0) * 0.5
        }
    };
    Tensor::record_op(out, "GeluBackward0", &[&x], |_| {
        Box::new(GeluBackward {
            x: Saved::new(&x),
            tanh,
        })
    })
}

/// `sqrt(2 / pi)`, the tanh form's scale (PyTorch's `kBeta`).
pub(crate) const GELU_BETA: f64 =
    std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2;
/// The tanh form's cubic coefficient (PyTorch's `kKappa`).
pub(crate) const GELU_KAPPA: f64 = 0.044715;

/// `1 / (1 + exp(-x))`, like `F.sigmoid`.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// assert_eq!(F::sigmoid(&Tensor::zeros(&[2])).to_vec::<f32>(), vec![0.5, 0.5]);
/// ```
#[track_caller]
pub fn sigmoid(x: &Tensor) -> Tensor {
    x.sigmoid()
}

/// The hyperbolic tangent, like `F.tanh`.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// assert_eq!(F::tanh(&Tensor::zeros(&[2])).to_vec::<f32>(), vec![0.0, 0.0]);
/// ```
#[track_caller]
pub fn tanh(x: &Tensor) -> Tensor {
    x.tanh()
}

/// `exp(x) / sum(exp(x))` along `dim`, computed stably, like `F.softmax(x, dim)`.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::tensor([[1000.0, 1000.0], [0.0, 0.0]]);
/// let y = F::softmax(&x, 1).to_vec::<f32>();
/// assert!(y.iter().all(|v| (v - 0.5).abs() < 1e-6));
/// ```
///
/// # Panics
/// If `dim` is out of range.
#[track_caller]
pub fn softmax(x: &Tensor, dim: i64) -> Tensor {
    let d = wrap_dim(dim, x.dim(), "softmax") as i64;
    let x = x.to_dtype(x.float_dtype());
    let out = {
        let _g = no_grad();
        let e = (&x - x.max_keepdim(d).0).exp();
        &e / e.sum_keepdim(d)
    };
    Tensor::record_op(out, "SoftmaxBackward0", &[&x], |out| {
        Box::new(SoftmaxBackward {
            out: Saved::new(out),
            dim: d,
        })
    })
}

/// `x - log(sum(exp(x)))` along `dim`, computed stably, like `F.log_softmax(x, dim)`.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::tensor([[1000.0, 1000.0]]);
/// let y = F::log_softmax(&x, 1).to_vec::<f32>();
/// assert!((y[0] + 2f32.ln()).abs() < 1e-6);
/// ```
///
/// # Panics
/// If `dim` is out of range.
#[track_caller]
pub fn log_softmax(x: &Tensor, dim: i64) -> Tensor {
    let d = wrap_dim(dim, x.dim(), "log_softmax") as i64;
    let x = x.to_dtype(x.float_dtype());
    let out = {
        let _g = no_grad();
        let shifted = &x - x.max_keepdim(d).0;
        &shifted - shifted.exp().sum_keepdim(d).log()
    };
    Tensor::record_op(out, "LogSoftmaxBackward0", &[&x], |out| {
        Box::new(LogSoftmaxBackward {
            out: Saved::new(out),
            dim: d,
        })
    })
}

/// Inverted dropout, like `F.dropout(x, p, training)`: in training, each element is zeroed
/// with probability `p` (drawn from the global generator, see [`crate::manual_seed`]) and
/// the rest are scaled by `1 / (1 - p)`; `p = 0` or `training = false` returns `x`
/// unchanged, `p = 1` gives zeros.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::ones(&[1000]);
/// let y = F::dropout(&x, 0.5, true).to_vec::<f32>();
/// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
/// assert_eq!(F::dropout(&x, 0.5, false).to_vec::<f32>(), vec![1.0; 1000]);
/// ```
///
/// # Panics
/// If `p` is not in `[0, 1]`.
#[track_caller]
pub fn dropout(x: &Tensor, p: f64, training: bool) -> Tensor {
    assert!(
        (0.0..=1.0).contains(&p),
        "dropout: probability has to be between 0 and 1, but got {p}"
    );
    if !training || p == 0.0 {
        return x.clone();
    }
    if p == 1.0 {
        return x * 0.0;
    }
    let keep = Tensor::rand_with(x.shape(), crate::DType::F32, x.device())
        .ge(p)
        .to_dtype(x.float_dtype());
    x * (keep / (1.0 - p))
}
