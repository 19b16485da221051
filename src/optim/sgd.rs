//! Stochastic gradient descent with momentum, as `torch.optim.SGD`.
use std::collections::BTreeMap;

use super::{
    Core, Optimizer, ParamState, Spec, check_non_negative, delegate_to_core, flag_value,
    non_negative, problems,
};
use crate::Tensor;

const SPEC: Spec = Spec {
    name: "SGD",
    tensor_names: &["momentum_buffer"],
    scalar_names: &[],
    check_group,
    // A missing momentum buffer is made on the next step, as on the first.
    check_state: |_, _| Vec::new(),
};

/// What the builders and `step` would refuse in a loaded group.
fn check_group(o: &BTreeMap<String, f64>) -> Vec<String> {
    let get = |k: &str| o.get(k).copied().unwrap_or(0.0);
    let (momentum, dampening) = (get("momentum"), get("dampening"));
    problems([
        non_negative("learning rate", get("lr")),
        non_negative("momentum value", momentum),
        non_negative("weight_decay value", get("weight_decay")),
        flag_value(o, "nesterov"),
        flag_value(o, "maximize"),
        if get("nesterov") != 0.0 && (momentum <= 0.0 || dampening != 0.0) {
            Err(nesterov_message(momentum, dampening))
        } else {
            Ok(())
        },
    ])
}

fn nesterov_message(momentum: f64, dampening: f64) -> String {
    format!(
        "Nesterov momentum requires a momentum and zero dampening (got momentum {momentum}, dampening {dampening})"
    )
}

/// Stochastic gradient descent, optionally with momentum (plain or Nesterov), dampening,
/// weight decay and maximization, with PyTorch's update rule:
///
/// ```text
/// g = grad (negated if maximize) + weight_decay * p
/// buf = g on the first step, else momentum * buf + (1 - dampening) * g
/// g = g + momentum * buf if nesterov, else buf        (when momentum != 0)
/// p = p - lr * g
/// ```
///
/// Hyperparameter names in a [`ParamGroup`](super::ParamGroup): `lr`, `momentum`,
/// `dampening`, `weight_decay`, `nesterov`, `maximize` (flags are 0 or 1).
///
/// ```
/// use firelight::Tensor;
/// use firelight::optim::{Optimizer, Sgd};
/// let w = Tensor::from_vec(vec![1.0f64], &[1]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w.clone()], 0.1).momentum(0.9).nesterov(true);
/// for _ in 0..2 {
///     (&w * &w).sum(..).backward();
///     opt.step();
///     opt.zero_grad();
/// }
/// // step 1: g = 2, buf = 2, w = 1 - 0.1 * (2 + 0.9 * 2) = 0.62
/// // step 2: g = 1.24, buf = 3.04, w = 0.62 - 0.1 * (1.24 + 0.9 * 3.04) = 0.2224
/// assert!((w.item::<f64>() - 0.2224).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct Sgd {
    core: Core,
}

impl Sgd {
    /// SGD over `params` with learning rate `lr`; momentum, dampening and weight decay 0,
    /// nesterov and maximize off (PyTorch's defaults).
    ///
    /// # Panics
    /// If `lr` is negative, or a parameter is not a leaf requiring grad.
    ///
    /// ```
    /// use firelight::optim::{Optimizer, Sgd};
    /// let w = firelight::Tensor::zeros(&[2]).requires_grad_(true);
    /// let opt = Sgd::new(vec![w], 0.5);
    /// assert_eq!(opt.param_groups()[0].lr(), 0.5);
    /// ```
    #[track_caller]
    pub fn new(params: Vec<Tensor>, lr: f64) -> Sgd {
        check_non_negative("learning rate", lr);
        let defaults = [
            ("lr", lr),
            ("momentum", 0.0),
            ("dampening", 0.0),
            ("weight_decay", 0.0),
            ("nesterov", 0.0),
            ("maximize", 0.0),
        ];
        Sgd {
            core: Core::new(&SPEC, params, &defaults),
        }
    }

    /// Sets the momentum factor (default and every existing group).
    ///
    /// ```
    /// use firelight::optim::{Optimizer, Sgd};
    /// let w = firelight::Tensor::zeros(&[2]).requires_grad_(true);
    /// let opt = Sgd::new(vec![w], 0.1).momentum(0.9);
    /// assert_eq!(opt.param_groups()[0].get("momentum"), Some(0.9));
    /// ```
    #[track_caller]
    pub fn momentum(mut self, momentum: f64) -> Sgd {
        check_non_negative("momentum value", momentum);
        self.core.set_default("momentum", momentum);
        self
    }

    /// Sets the dampening of momentum (not applied on the first step).
    ///
    /// ```
    /// use firelight::optim::{Optimizer, Sgd};
    /// let w = firelight::Tensor::zeros(&[2]).requires_grad_(true);
    /// let opt = Sgd::new(vec![w], 0.1).momentum(0.9).dampening(0.5);
    /// assert_eq!(opt.param_groups()[0].get("dampening"), Some(0.5));
    /// ```
    pub fn dampening(mut self, dampening: f64) -> Sgd {
        self.core.set_default("dampening", dampening);
        self
    }

    /// Turns Nesterov momentum on or off. It needs momentum > 0 and dampening 0; a step
    /// panics otherwise.
    ///
    /// ```
    /// use firelight::optim::{Optimizer, Sgd};
    /// let w = firelight::Tensor::zeros(&[2]).requires_grad_(true);
    /// let opt = Sgd::new(vec![w], 0.1).momentum(0.9).nesterov(true);
    /// assert_eq!(opt.param_groups()[0].get("nesterov"), Some(1.0));
    /// ```
    pub fn nesterov(mut self, nesterov: bool) -> Sgd {
        self.core.set_default("nesterov", nesterov as u8 as f64);
        self
    }

    /// Sets the weight decay (L2 penalty added to the gradient).
    ///
    /// ```
    /// use firelight::optim::{Optimizer, Sgd};
    /// let w = firelight::Tensor::zeros(&[2]).requires_grad_(true);
    /// let opt = Sgd::new(vec![w], 0.1).weight_decay(1e-4);
    /// assert_eq!(opt.param_groups()[0].get("weight_decay"), Some(1e-4));
    /// ```
    #[track_caller]
    pub fn weight_decay(mut self, weight_decay: f64) -> Sgd {
        check_non_negative("weight_decay value", weight_decay);
        self.core.set_default("weight_decay", weight_decay);
        self
    }

    /// Maximizes the objective instead of minimizing it.
    ///
    /// ```
    /// use firelight::optim::{Optimizer, Sgd};
    /// let w = firelight::Tensor::zeros(&[2]).requires_grad_(true);
    /// let opt = Sgd::new(vec![w], 0.1).maximize(true);
    /// assert_eq!(opt.param_groups()[0].get("maximize"), Some(1.0));
    /// ```
    pub fn maximize(mut self, maximize: bool) -> Sgd {
        self.core.set_default("maximize", maximize as u8 as f64);
        self
    }
}

impl Optimizer for Sgd {
    #[track_caller]
    fn step(&mut self) {
        let _g = crate::no_grad();
        let core = &mut self.core;
        for (group, states) in core.groups.iter().zip(core.state.iter_mut()) {
            let lr = group.opt("lr");
            let momentum = group.opt("momentum");
            let dampening = group.opt("dampening");
            let weight_decay = group.opt("weight_decay");
            let nesterov = group.flag("nesterov");
            let maximize = group.flag("maximize");
            if nesterov && (momentum <= 0.0 || dampening != 0.0) {
                panic!("SGD: {}", nesterov_message(momentum, dampening));
            }
            for (p, state) in group.params.iter().zip(states.iter_mut()) {
                let Some(grad) = p.grad() else { continue };
                let mut d_p = if maximize { grad.neg() } else { grad };
                if weight_decay != 0.0 {
                    d_p = &d_p + &(p * weight_decay);
                }
                if momentum != 0.0 {
                    let buf = sgd_momentum_buffer(state, &d_p, momentum, dampening);
                    d_p = if nesterov {
                        &d_p + &(&buf * momentum)
                    } else {
                        buf
                    };
                }
                p.add_(&d_p * -lr);
            }
        }
    }

    delegate_to_core!();
}

/// Updates (or creates, as a copy of `d_p`) the momentum buffer and returns it.
fn sgd_momentum_buffer(
    state: &mut ParamState,
    d_p: &Tensor,
    momentum: f64,
    dampening: f64,
) -> Tensor {
    match state.tensors.get("momentum_buffer") {
        Some(buf) => {
            buf.mul_(momentum);
            buf.add_(d_p * (1.0 - dampening));
            buf.clone()
        }
        None => {
            let buf = d_p.deep_clone();
            state
                .tensors
                .insert("momentum_buffer".to_string(), buf.clone());
            buf
        }
    }
}
