//! Batch normalisation over the channel dim, as `torch.nn.BatchNorm1d` / `BatchNorm2d`.
use super::{Module, Parameter, Visit};
use crate::{DType, Tensor, no_grad};
use std::sync::atomic::{AtomicBool, Ordering};

/// Normalises each channel (dim 1) by batch statistics in training and by running
/// statistics in evaluation, then scales and shifts by learnable `weight` and `bias`.
/// Running statistics follow PyTorch: `running = (1 - momentum) * running + momentum *
/// batch`, with the unbiased batch variance; normalisation uses the biased one.
struct BatchNorm {
    weight: Parameter,
    bias: Parameter,
    running_mean: Tensor,
    running_var: Tensor,
    num_batches_tracked: Tensor,
    eps: f64,
    momentum: f64,
    training: AtomicBool,
    /// The input ranks this layer accepts (2/3 for 1d, 4 for 2d), for the error message.
    ranks: &'static [usize],
    name: &'static str,
}

impl BatchNorm {
    fn new(num_features: usize, ranks: &'static [usize], name: &'static str) -> BatchNorm {
        BatchNorm {
            weight: Parameter::new(Tensor::ones(&[num_features])),
            bias: Parameter::new(Tensor::zeros(&[num_features])),
            running_mean: Tensor::zeros(&[num_features]),
            running_var: Tensor::ones(&[num_features]),
            num_batches_tracked: Tensor::zeros(&[]).to_dtype(DType::I64),
            eps: 1e-5,
            momentum: 0.1,
            training: AtomicBool::new(true),
            ranks,
            name,
        }
    }

    #[track_caller]
    fn forward(&self, x: &Tensor) -> Tensor {
        let c = self.weight.numel();
        if !self.ranks.contains(&x.dim()) || x.shape()[1] != c {
            panic!(
                "{}: expected input of rank {:?} with {c} channels in dim 1, got shape {:?}",
                self.name,
                self.ranks,
                x.shape()
            );
        }
        // Statistics are over every dim but the channel dim.
        let dims: Vec<i64> = (0..x.dim() as i64).filter(|&d| d != 1).collect();
        let mut shape = vec![1i64; x.dim()];
        shape[1] = c as i64;
        let bcast = |t: &Tensor| t.view(&shape);
        let (mean, var) = if self.training.load(Ordering::Relaxed) {
            let count = x.numel() / c;
            assert!(
                count > 1,
                "{}: expected more than 1 value per channel when training, got input shape {:?}",
                self.name,
                x.shape()
            );
            let mean = x.mean(dims.clone());
            let var = (x - bcast(&mean)).pow(2).mean(dims);
            {
                let _g = no_grad();
                let unbiased = &var * (count as f64 / (count - 1) as f64);
                self.running_mean
                    .mul_(1.0 - self.momentum)
                    .add_(&mean * self.momentum);
                self.running_var
                    .mul_(1.0 - self.momentum)
                    .add_(unbiased * self.momentum);
                self.num_batches_tracked.add_(1);
            }
            (mean, var)
        } else {
            (self.running_mean.clone(), self.running_var.clone())
        };
        (x - bcast(&mean)) / bcast(&(var + self.eps).sqrt()) * bcast(&self.weight)
            + bcast(&self.bias)
    }

    fn params(&self) -> Vec<(String, Tensor)> {
        vec![
            ("weight".into(), self.weight.tensor().clone()),
            ("bias".into(), self.bias.tensor().clone()),
        ]
    }

    fn buffers(&self) -> Vec<(String, Tensor)> {
        vec![
            ("running_mean".into(), self.running_mean.clone()),
            ("running_var".into(), self.running_var.clone()),
            (
                "num_batches_tracked".into(),
                self.num_batches_tracked.clone(),
            ),
        ]
    }
}

macro_rules! batchnorm_layer {
    ($(#[$doc:meta])* $name:ident, $ranks:expr) => {
        $(#[$doc])*
        pub struct $name(BatchNorm);

        impl $name {
            /// A layer for `num_features` channels (eps 1e-5, momentum 0.1, affine).
            pub fn new(num_features: usize) -> $name {
                $name(BatchNorm::new(num_features, $ranks, stringify!($name)))
            }

            /// Sets the running-statistics momentum (PyTorch's default is 0.1).
            pub fn momentum(mut self, momentum: f64) -> $name {
                self.0.momentum = momentum;
                self
            }

            /// Sets the value added to the variance for stability (default 1e-5).
            pub fn eps(mut self, eps: f64) -> $name {
                self.0.eps = eps;
                self
            }

            /// The running mean (a buffer, updated in training).
            pub fn running_mean(&self) -> &Tensor {
                &self.0.running_mean
            }

            /// The running (unbiased) variance.
            pub fn running_var(&self) -> &Tensor {
                &self.0.running_var
            }
        }

        impl Module for $name {
            #[track_caller]
            fn forward(&self, x: &Tensor) -> Tensor {
                self.0.forward(x)
            }
        }

        impl Visit for $name {
            fn named_own_parameters(&self) -> Vec<(String, Tensor)> {
                self.0.params()
            }
            fn named_own_buffers(&self) -> Vec<(String, Tensor)> {
                self.0.buffers()
            }
            fn set_own_training(&self, training: bool) {
                self.0.training.store(training, Ordering::Relaxed);
            }
            fn is_training(&self) -> bool {
                self.0.training.load(Ordering::Relaxed)
            }
        }
    };
}

batchnorm_layer!(
    /// Batch norm for `[N, C]` or `[N, C, L]` input.
    ///
    /// ```
    /// use firelight::nn::{BatchNorm1d, Module};
    /// let bn = BatchNorm1d::new(3);
    /// let y = bn.forward(&firelight::Tensor::randn(&[16, 3]));
    /// assert!(y.mean(0).abs().max(..).item::<f32>() < 1e-5);
    /// bn.eval();
    /// assert_eq!(bn.forward(&firelight::Tensor::zeros(&[2, 3])).shape(), &[2, 3]);
    /// ```
    BatchNorm1d,
    &[2, 3]
);

batchnorm_layer!(
    /// Batch norm for `[N, C, H, W]` input.
    ///
    /// ```
    /// use firelight::nn::{BatchNorm2d, Module};
    /// let bn = BatchNorm2d::new(16);
    /// assert_eq!(bn.forward(&firelight::Tensor::randn(&[4, 16, 7, 7])).shape(), &[4, 16, 7, 7]);
    /// assert_eq!(bn.state_dict().keys(), ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    /// ```
    BatchNorm2d,
    &[4]
);
