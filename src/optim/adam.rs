//! Adam and AdamW, as `torch.optim.Adam` and `torch.optim.AdamW`.
use std::collections::BTreeMap;

use super::{
    Core, Optimizer, ParamState, Spec, check_non_negative, delegate_to_core, flag_value,
    non_negative, problems,
};
use crate::Tensor;

const fn spec(name: &'static str) -> Spec {
    Spec {
        name,
        tensor_names: &["exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
        scalar_names: &["step"],
        check_group,
        check_state,
    }
}
const ADAM: Spec = spec("Adam");
const ADAMW: Spec = spec("AdamW");

fn beta(i: usize, b: f64) -> Result<(), String> {
    if !(0.0..1.0).contains(&b) {
        return Err(format!("Invalid beta parameter at index {i}: {b}"));
    }
    Ok(())
}

/// What the builders refuse, in a loaded group.
fn check_group(o: &BTreeMap<String, f64>) -> Vec<String> {
    let get = |k: &str| o.get(k).copied().unwrap_or(0.0);
    problems([
        non_negative("learning rate", get("lr")),
        non_negative("epsilon value", get("eps")),
        non_negative("weight_decay value", get("weight_decay")),
        beta(0, get("beta1")),
        beta(1, get("beta2")),
        flag_value(o, "amsgrad"),
        flag_value(o, "maximize"),
    ])
}

/// What a step reads from a parameter's state once it has one.
fn check_state(s: &ParamState, o: &BTreeMap<String, f64>) -> Vec<String> {
    let mut out = Vec::new();
    match s.scalars.get("step") {
        None => out.push("the state has no \"step\"".to_string()),
        Some(&step) if step < 1.0 || step.fract() != 0.0 => out.push(format!(
            "\"step\" is {step}, not a whole number of steps taken (1 or more)"
        )),
        Some(_) => {}
    }
    for name in ["exp_avg", "exp_avg_sq"] {
        if !s.tensors.contains_key(name) {
            out.push(format!("the state has no {name:?}"));
        }
    }
    if o.get("amsgrad").is_some_and(|&a| a != 0.0) && !s.tensors.contains_key("max_exp_avg_sq") {
        out.push(
            "amsgrad is on but the state has no \"max_exp_avg_sq\" (amsgrad can only be \
             switched on before the first step)"
                .to_string(),
        );
    }
    out
}

#[track_caller]
fn adam_core(spec: &'static Spec, params: Vec<Tensor>, lr: f64, weight_decay: f64) -> Core {
    check_non_negative("learning rate", lr);
    let defaults = [
        ("lr", lr),
        ("beta1", 0.9),
        ("beta2", 0.999),
        ("eps", 1e-8),
        ("weight_decay", weight_decay),
        ("amsgrad", 0.0),
        ("maximize", 0.0),
    ];
    Core::new(spec, params, &defaults)
}

/// `self + weight * (end - self)` in place, with PyTorch's two-branch `lerp_` formula.
fn lerp_(t: &Tensor, end: &Tensor, weight: f64) {
    if weight < 0.5 {
        t.add_(&(end - t) * weight);
    } else {
        t.copy_(&(end - &(&(end - t) * (1.0 - weight))));
    }
}

/// One Adam step over every group; `decoupled` is AdamW's weight decay.
#[track_caller]
fn adam_step(core: &mut Core, decoupled: bool) {
    let _g = crate::no_grad();
    for (group, states) in core.groups.iter().zip(core.state.iter_mut()) {
        let lr = group.opt("lr");
        let (beta1, beta2) = (group.opt("beta1"), group.opt("beta2"));
        let eps = group.opt("eps");
        let weight_decay = group.opt("weight_decay");
        let amsgrad = group.flag("amsgrad");
        let maximize = group.flag("maximize");
        for (p, state) in group.params.iter().zip(states.iter_mut()) {
            let Some(grad) = p.grad() else { continue };
            if state.is_empty() {
                state.scalars.insert("step".into(), 0.0);
                state.tensors.insert("exp_avg".into(), p.zeros_like());
                state.tensors.insert("exp_avg_sq".into(), p.zeros_like());
                if amsgrad {
                    state
                        .tensors
                        .insert("max_exp_avg_sq".into(), p.zeros_like());
                }
            }
            let mut grad = if maximize { grad.neg() } else { grad };
            let step = state
                .scalars
                .get_mut("step")
                .expect("Adam state has a step");
            *step += 1.0;
            let step = *step;
            if weight_decay != 0.0 {
                if decoupled {
                    p.mul_(1.0 - lr * weight_decay);
                } else {
                    grad = &grad + &(p * weight_decay);
                }
            }
            let exp_avg = &state.tensors["exp_avg"];
            let exp_avg_sq = &state.tensors["exp_avg_sq"];
            lerp_(exp_avg, &grad, 1.0 - beta1);
            exp_avg_sq.mul_(beta2);
            exp_avg_sq.add_(&(&grad * (1.0 - beta2)) * &grad);

            let bias_correction1 = 1.0 - beta1.powf(step);
            let bias_correction2 = 1.0 - beta2.powf(step);
            let step_size = lr / bias_correction1;
            let bias_correction2_sqrt = bias_correction2.powf(0.5);
            let denom = if amsgrad {
                let Some(max_sq) = state.tensors.get("max_exp_avg_sq") else {
                    panic!(
                        "Adam: amsgrad was turned on after the first step; max_exp_avg_sq is missing"
                    )
                };
                max_sq.copy_(&max_sq.maximum(exp_avg_sq));
                &(max_sq.sqrt() / bias_correction2_sqrt) + eps
            } else {
                &(exp_avg_sq.sqrt() / bias_correction2_sqrt) + eps
            };
            p.add_(&(exp_avg * -step_size) / &denom);
        }
    }
}

macro_rules! adam_builders {
    ($ty:ident) => {
        impl $ty {
            /// Sets the coefficients of the running averages of the gradient and its square.
            ///
            /// # Panics
            /// Unless both are in `[0, 1)`.
            ///
            /// ```
            #[doc = concat!("use firelight::optim::{", stringify!($ty), ", Optimizer};")]
            /// let w = firelight::Tensor::zeros(&[2]).requires_grad_(true);
            #[doc = concat!("let opt = ", stringify!($ty), "::new(vec![w], 1e-3).betas((0.8, 0.99));")]
            /// assert_eq!(opt.param_groups()[0].get("beta2"), Some(0.99));
            /// ```
            #[track_caller]
            pub fn betas(mut self, betas: (f64, f64)) -> $ty {
                for (i, b) in [betas.0, betas.1].into_iter().enumerate() {
                    if let Err(e) = beta(i, b) {
                        panic!("{e}");
                    }
                }
                self.core.set_default("beta1", betas.0);
                self.core.set_default("beta2", betas.1);
                self
            }

            /// Sets the term added to the denominator for numerical stability.
            ///
            /// ```
            #[doc = concat!("use firelight::optim::{", stringify!($ty), ", Optimizer};")]
            /// let w = firelight::Tensor::zeros(&[2]).requires_grad_(true);
            #[doc = concat!("let opt = ", stringify!($ty), "::new(vec![w], 1e-3).eps(1e-6);")]
            /// assert_eq!(opt.param_groups()[0].get("eps"), Some(1e-6));
            /// ```
            #[track_caller]
            pub fn eps(mut self, eps: f64) -> $ty {
                check_non_negative("epsilon value", eps);
                self.core.set_default("eps", eps);
                self
            }

            /// Sets the weight decay.
            ///
            /// ```
            #[doc = concat!("use firelight::optim::{", stringify!($ty), ", Optimizer};")]
            /// let w = firelight::Tensor::zeros(&[2]).requires_grad_(true);
            #[doc = concat!("let opt = ", stringify!($ty), "::new(vec![w], 1e-3).weight_decay(0.1);")]
            /// assert_eq!(opt.param_groups()[0].get("weight_decay"), Some(0.1));
            /// ```
            #[track_caller]
            pub fn weight_decay(mut self, weight_decay: f64) -> $ty {
                check_non_negative("weight_decay value", weight_decay);
                self.core.set_default("weight_decay", weight_decay);
                self
            }

            /// Uses the AMSGrad variant (the running maximum of the squared-gradient
            /// average in the denominator).
            ///
            /// ```
            #[doc = concat!("use firelight::optim::{", stringify!($ty), ", Optimizer};")]
            /// let w = firelight::Tensor::zeros(&[2]).requires_grad_(true);
            #[doc = concat!("let opt = ", stringify!($ty), "::new(vec![w], 1e-3).amsgrad(true);")]
            /// assert_eq!(opt.param_groups()[0].get("amsgrad"), Some(1.0));
            /// ```
            pub fn amsgrad(mut self, amsgrad: bool) -> $ty {
                self.core.set_default("amsgrad", amsgrad as u8 as f64);
                self
            }

            /// Maximizes the objective instead of minimizing it.
            ///
            /// ```
            #[doc = concat!("use firelight::optim::{", stringify!($ty), ", Optimizer};")]
            /// let w = firelight::Tensor::zeros(&[2]).requires_grad_(true);
            #[doc = concat!("let opt = ", stringify!($ty), "::new(vec![w], 1e-3).maximize(true);")]
            /// assert_eq!(opt.param_groups()[0].get("maximize"), Some(1.0));
            /// ```
            pub fn maximize(mut self, maximize: bool) -> $ty {
                self.core.set_default("maximize", maximize as u8 as f64);
                self
            }
        }
    };
}

/// Adam, with PyTorch's update rule and bias corrections:
///
/// ```text
/// t += 1
/// g = grad (negated if maximize) + weight_decay * p
/// m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
/// v_max = max(v_max, v)                                        (amsgrad)
/// denom = sqrt(v or v_max) / sqrt(1 - beta2^t) + eps
/// p = p - lr / (1 - beta1^t) * m / denom
/// ```
///
/// Defaults as PyTorch's: betas (0.9, 0.999), eps 1e-8, weight decay 0, amsgrad and
/// maximize off (PyTorch's default lr is 1e-3). Hyperparameter names in a
/// [`ParamGroup`](super::ParamGroup): `lr`, `beta1`, `beta2`, `eps`, `weight_decay`, `amsgrad`, `maximize`.
///
/// ```
/// use firelight::Tensor;
/// use firelight::optim::{Adam, Optimizer};
/// let w = Tensor::from_vec(vec![1.0f64, -2.0], &[2]).requires_grad_(true);
/// let mut opt = Adam::new(vec![w.clone()], 1e-3);
/// (&w * &w).sum(..).backward();
/// opt.step();
/// // the first step moves each element by about lr against its gradient's sign
/// let v = w.to_vec::<f64>();
/// assert!((v[0] - 0.999).abs() < 1e-9 && (v[1] + 1.999).abs() < 1e-9);
/// ```
#[derive(Clone, Debug)]
pub struct Adam {
    core: Core,
}

impl Adam {
    /// Adam over `params` with learning rate `lr` and PyTorch's other defaults.
    ///
    /// # Panics
    /// If `lr` is negative, or a parameter is not a leaf requiring grad.
    ///
    /// ```
    /// use firelight::optim::{Adam, Optimizer};
    /// let w = firelight::Tensor::zeros(&[2]).requires_grad_(true);
    /// let opt = Adam::new(vec![w], 1e-3);
    /// assert_eq!(opt.param_groups()[0].get("beta1"), Some(0.9));
    /// ```
    #[track_caller]
    pub fn new(params: Vec<Tensor>, lr: f64) -> Adam {
        Adam {
            core: adam_core(&ADAM, params, lr, 0.0),
        }
    }
}
adam_builders!(Adam);

impl Optimizer for Adam {
    #[track_caller]
    fn step(&mut self) {
        adam_step(&mut self.core, false);
    }
    delegate_to_core!();
}

/// AdamW: Adam with decoupled weight decay (`p = p * (1 - lr * weight_decay)` before the
/// Adam update, instead of adding `weight_decay * p` to the gradient). Its default weight
/// decay is 0.01, as PyTorch's; the other defaults and options are [`Adam`]'s.
///
/// ```
/// use firelight::Tensor;
/// use firelight::optim::{AdamW, Optimizer};
/// let w = Tensor::from_vec(vec![1.0f64], &[1]).requires_grad_(true);
/// let mut opt = AdamW::new(vec![w.clone()], 0.1);
/// assert_eq!(opt.param_groups()[0].get("weight_decay"), Some(0.01));
/// (&w * &w).sum(..).backward();
/// opt.step();
/// // decay to 1 * (1 - 0.1 * 0.01), then the Adam step of about -lr
/// assert!((w.item::<f64>() - (0.999 - 0.1)).abs() < 1e-7);
/// ```
#[derive(Clone, Debug)]
pub struct AdamW {
    core: Core,
}

impl AdamW {
    /// AdamW over `params` with learning rate `lr`, weight decay 0.01 and Adam's other
    /// defaults.
    ///
    /// # Panics
    /// If `lr` is negative, or a parameter is not a leaf requiring grad.
    ///
    /// ```
    /// use firelight::optim::{AdamW, Optimizer};
    /// let w = firelight::Tensor::zeros(&[2]).requires_grad_(true);
    /// let opt = AdamW::new(vec![w], 1e-3);
    /// assert_eq!(opt.param_groups()[0].lr(), 1e-3);
    /// ```
    #[track_caller]
    pub fn new(params: Vec<Tensor>, lr: f64) -> AdamW {
        AdamW {
            core: adam_core(&ADAMW, params, lr, 0.01),
        }
    }
}
adam_builders!(AdamW);

impl Optimizer for AdamW {
    #[track_caller]
    fn step(&mut self) {
        adam_step(&mut self.core, true);
    }
    delegate_to_core!();
}
