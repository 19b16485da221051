//! Initialisation, as `torch.nn.init`: each function fills a tensor in place (under
//! `no_grad`) from the global generator, so `manual_seed` makes it reproducible.
use crate::{Tensor, no_grad};

/// `(fan_in, fan_out)` as PyTorch computes them: dims 1 and 0, times the receptive field.
///
/// # Panics
/// For tensors with fewer than 2 dims.
#[track_caller]
pub fn calculate_fan_in_and_fan_out(t: &Tensor) -> (usize, usize) {
    assert!(
        t.dim() >= 2,
        "init: fan in and fan out need at least 2 dims, got shape {:?}",
        t.shape()
    );
    let receptive: usize = t.shape()[2..].iter().product();
    (t.shape()[1] * receptive, t.shape()[0] * receptive)
}

#[track_caller]
fn fill(t: &Tensor, values: Tensor) {
    let _g = no_grad();
    t.copy_(&values);
}

/// Fills with values drawn uniformly from `[low, high)`.
///
/// ```
/// let t = firelight::Tensor::zeros(&[1000]);
/// firelight::nn::init::uniform_(&t, -0.5, 0.5);
/// assert!(t.to_vec::<f32>().iter().all(|&v| (-0.5..0.5).contains(&v)));
/// ```
#[track_caller]
pub fn uniform_(t: &Tensor, low: f64, high: f64) {
    fill(t, Tensor::rand(t.shape()) * (high - low) + low);
}

/// Fills with values drawn from a normal distribution.
#[track_caller]
pub fn normal_(t: &Tensor, mean: f64, std: f64) {
    fill(t, Tensor::randn(t.shape()) * std + mean);
}

/// Fills with `value`.
#[track_caller]
pub fn constant_(t: &Tensor, value: f64) {
    let _g = no_grad();
    t.fill_(value);
}

/// Fills with zeros.
#[track_caller]
pub fn zeros_(t: &Tensor) {
    constant_(t, 0.0);
}

/// Fills with ones.
#[track_caller]
pub fn ones_(t: &Tensor) {
    constant_(t, 1.0);
}

/// Xavier/Glorot uniform: `U(-b, b)` with `b = gain * sqrt(6 / (fan_in + fan_out))`.
///
/// ```
/// let w = firelight::Tensor::zeros(&[10, 784]);
/// firelight::nn::init::xavier_uniform_(&w, 1.0);
/// let bound = (6.0f32 / 794.0).sqrt();
/// assert!(w.abs().max(..).item::<f32>() <= bound);
/// ```
#[track_caller]
pub fn xavier_uniform_(t: &Tensor, gain: f64) {
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(t);
    let b = gain * (6.0 / (fan_in + fan_out) as f64).sqrt();
    uniform_(t, -b, b);
}

/// Xavier/Glorot normal: `N(0, std)` with `std = gain * sqrt(2 / (fan_in + fan_out))`.
#[track_caller]
pub fn xavier_normal_(t: &Tensor, gain: f64) {
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(t);
    normal_(t, 0.0, gain * (2.0 / (fan_in + fan_out) as f64).sqrt());
}

/// Which fan Kaiming initialisation scales by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FanMode {
    /// Preserves the variance of activations in the forward pass (PyTorch's default).
    #[default]
    FanIn,
    /// Preserves the variance of gradients in the backward pass.
    FanOut,
}

/// The gain PyTorch uses for leaky ReLU with slope `a` (`a = 0` is ReLU).
pub fn leaky_relu_gain(a: f64) -> f64 {
    (2.0 / (1.0 + a * a)).sqrt()
}

#[track_caller]
fn fan(t: &Tensor, mode: FanMode) -> usize {
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(t);
    match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    }
}

/// Kaiming/He uniform for a leaky-ReLU slope `a`: `U(-b, b)` with
/// `b = gain(a) * sqrt(3 / fan)`. PyTorch's `Linear` and `Conv2d` use `a = sqrt(5)`,
/// which gives `b = 1 / sqrt(fan_in)`.
///
/// ```
/// use firelight::nn::init::{kaiming_uniform_, FanMode};
/// let w = firelight::Tensor::zeros(&[10, 784]);
/// kaiming_uniform_(&w, 5f64.sqrt(), FanMode::FanIn);
/// assert!(w.abs().max(..).item::<f32>() <= 1.0 / 784f32.sqrt());
/// ```
#[track_caller]
pub fn kaiming_uniform_(t: &Tensor, a: f64, mode: FanMode) {
    let b = leaky_relu_gain(a) * (3.0 / fan(t, mode) as f64).sqrt();
    uniform_(t, -b, b);
}

/// Kaiming/He normal: `N(0, gain(a) / sqrt(fan))`.
#[track_caller]
pub fn kaiming_normal_(t: &Tensor, a: f64, mode: FanMode) {
    normal_(t, 0.0, leaky_relu_gain(a) / (fan(t, mode) as f64).sqrt());
}
