//! Optimizers, as `torch.optim`: [`Sgd`], [`Adam`], [`AdamW`], the learning-rate
//! schedulers of [`lr_scheduler`], and gradient clipping ([`clip_grad_norm_`],
//! [`clip_grad_value_`]).
//!
//! An optimizer holds handles to the parameters (leaf tensors that require grad), grouped
//! in [`ParamGroup`]s with their own hyperparameters. [`Optimizer::step`] updates them in
//! place under `no_grad`, so the model holding the same handles sees the new values;
//! parameters whose `grad()` is `None` are skipped, as in PyTorch.
//!
//! ```
//! use firelight::Tensor;
//! use firelight::optim::{Optimizer, Sgd};
//! let w = Tensor::tensor([1.0, 2.0]).requires_grad_(true);
//! let mut opt = Sgd::new(vec![w.clone()], 0.1).momentum(0.9);
//! (&w * &w).sum(..).backward();
//! opt.step();
//! opt.zero_grad();
//! let v = w.to_vec::<f32>(); // w - 0.1 * 2w
//! assert!((v[0] - 0.8).abs() < 1e-6 && (v[1] - 1.6).abs() < 1e-6);
//! assert!(w.grad().is_none());
//! ```
mod adam;
mod clip;
pub mod lr_scheduler;
mod sgd;
mod state;

pub use adam::{Adam, AdamW};
pub use clip::{clip_grad_norm_, clip_grad_value_};
pub use sgd::Sgd;
pub use state::{GroupState, OptimizerState, ParamState};

use crate::{Error, Result, Tensor};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Parameters sharing one set of hyperparameters, as an entry of PyTorch's
/// `optimizer.param_groups`.
///
/// Hyperparameters are named `f64`s (`"lr"`, `"momentum"`, `"beta1"`, ...; flags are 0 or
/// 1). A group given to [`Optimizer::add_param_group`] gets the optimizer's defaults for
/// the names it does not set.
///
/// ```
/// use firelight::Tensor;
/// use firelight::optim::{Optimizer, ParamGroup, Sgd};
/// let w = Tensor::zeros(&[3]).requires_grad_(true);
/// let b = Tensor::zeros(&[1]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], 0.1).momentum(0.9);
/// opt.add_param_group(ParamGroup::new(vec![b]).with("lr", 0.01));
/// assert_eq!(opt.param_groups()[1].lr(), 0.01);
/// assert_eq!(opt.param_groups()[1].get("momentum"), Some(0.9));
/// opt.param_groups_mut()[0].set_lr(0.05);
/// assert_eq!(opt.param_groups()[0].lr(), 0.05);
/// ```
#[derive(Clone, Debug)]
pub struct ParamGroup {
    /// The parameters (handles shared with the model).
    pub params: Vec<Tensor>,
    options: BTreeMap<String, f64>,
}

impl ParamGroup {
    /// A group of `params` with no hyperparameters of its own yet.
    ///
    /// ```
    /// let g = firelight::optim::ParamGroup::new(vec![]);
    /// assert_eq!(g.get("lr"), None);
    /// ```
    pub fn new(params: Vec<Tensor>) -> ParamGroup {
        ParamGroup {
            params,
            options: BTreeMap::new(),
        }
    }

    /// This group with hyperparameter `name` set to `value`.
    ///
    /// ```
    /// let g = firelight::optim::ParamGroup::new(vec![]).with("lr", 0.5);
    /// assert_eq!(g.lr(), 0.5);
    /// ```
    pub fn with(mut self, name: &str, value: f64) -> ParamGroup {
        self.options.insert(name.to_string(), value);
        self
    }

    /// The hyperparameter `name`, if the group has it.
    ///
    /// ```
    /// let g = firelight::optim::ParamGroup::new(vec![]).with("eps", 1e-8);
    /// assert_eq!(g.get("eps"), Some(1e-8));
    /// ```
    pub fn get(&self, name: &str) -> Option<f64> {
        self.options.get(name).copied()
    }

    /// Sets the hyperparameter `name`.
    ///
    /// ```
    /// let mut g = firelight::optim::ParamGroup::new(vec![]);
    /// g.set("momentum", 0.9);
    /// assert_eq!(g.get("momentum"), Some(0.9));
    /// ```
    pub fn set(&mut self, name: &str, value: f64) {
        self.options.insert(name.to_string(), value);
    }

    /// Every hyperparameter, by name.
    ///
    /// ```
    /// let g = firelight::optim::ParamGroup::new(vec![]).with("lr", 0.1);
    /// assert_eq!(g.options().len(), 1);
    /// ```
    pub fn options(&self) -> &BTreeMap<String, f64> {
        &self.options
    }

    /// The learning rate, `group["lr"]`.
    ///
    /// # Panics
    /// If the group has none (groups inside an optimizer always have one).
    ///
    /// ```
    /// let g = firelight::optim::ParamGroup::new(vec![]).with("lr", 0.1);
    /// assert_eq!(g.lr(), 0.1);
    /// ```
    #[track_caller]
    pub fn lr(&self) -> f64 {
        self.get("lr")
            .expect("ParamGroup::lr: the group has no learning rate")
    }

    /// Sets the learning rate, as a scheduler does.
    ///
    /// ```
    /// let mut g = firelight::optim::ParamGroup::new(vec![]);
    /// g.set_lr(0.3);
    /// assert_eq!(g.lr(), 0.3);
    /// ```
    pub fn set_lr(&mut self, lr: f64) {
        self.set("lr", lr);
    }

    /// A required hyperparameter (present in every group inside an optimizer).
    #[track_caller]
    pub(crate) fn opt(&self, name: &str) -> f64 {
        match self.get(name) {
            Some(v) => v,
            None => panic!("param group has no hyperparameter {name:?}"),
        }
    }

    #[track_caller]
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.opt(name) != 0.0
    }
}

/// What every optimizer does, as `torch.optim.Optimizer`.
///
/// ```
/// use firelight::Tensor;
/// use firelight::optim::{Adam, Optimizer};
/// fn train_step(opt: &mut dyn Optimizer, w: &Tensor) {
///     (w * w).sum(..).backward();
///     opt.step();
///     opt.zero_grad();
/// }
/// let w = Tensor::ones(&[2]).requires_grad_(true);
/// let mut opt = Adam::new(vec![w.clone()], 0.1);
/// train_step(&mut opt, &w);
/// assert!((w.to_vec::<f32>()[0] - 0.9).abs() < 1e-6);
/// ```
pub trait Optimizer {
    /// Updates every parameter that has a gradient, in place, under `no_grad`.
    fn step(&mut self);

    /// Clears the gradients of all parameters by setting them to `None`, PyTorch 2's
    /// default (`zero_grad(set_to_none=True)`).
    fn zero_grad(&mut self) {
        self.zero_grad_with(true);
    }

    /// Clears the gradients: sets them to `None`, or zeroes them in place.
    fn zero_grad_with(&mut self, set_to_none: bool) {
        let _g = crate::no_grad();
        for group in self.param_groups() {
            for p in &group.params {
                if set_to_none {
                    p.set_grad(None);
                } else if let Some(g) = p.grad() {
                    g.zero_();
                }
            }
        }
    }

    /// The parameter groups.
    fn param_groups(&self) -> &[ParamGroup];

    /// The parameter groups, to change hyperparameters (schedulers set `lr` here).
    fn param_groups_mut(&mut self) -> &mut [ParamGroup];

    /// Adds a group of parameters; hyperparameters it does not set take the optimizer's
    /// defaults.
    ///
    /// # Panics
    /// If a parameter is already in a group, does not require grad or is not a leaf, or
    /// the group names a hyperparameter this optimizer does not have.
    fn add_param_group(&mut self, group: ParamGroup);

    /// The optimizer's state: per-parameter buffers and per-group hyperparameters, copied,
    /// enough to resume training exactly.
    fn state_dict(&self) -> OptimizerState;

    /// Restores a state from [`Optimizer::state_dict`] (group hyperparameters included).
    ///
    /// The state is checked whole first, so that a later [`Optimizer::step`] can rely on it:
    /// hyperparameters must be finite and valid for this optimizer (those its builders
    /// refuse are refused here too, such as SGD's Nesterov momentum without momentum), and a
    /// parameter's state must hold everything a step reads (Adam's `step`, `exp_avg`,
    /// `exp_avg_sq`, and `max_exp_avg_sq` when amsgrad is on).
    ///
    /// # Errors
    /// If the number of groups or of parameters per group differs, a state tensor's shape
    /// differs from its parameter's, a name is unknown to this optimizer, a hyperparameter
    /// is invalid or a parameter's state incomplete; the message lists every problem.
    /// Nothing is changed then.
    fn load_state_dict(&mut self, state: &OptimizerState) -> Result<()>;
}

/// What one optimizer's state holds and must satisfy, for [`Core`] to check a loaded state.
#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) name: &'static str,
    /// The per-parameter state tensors it keeps.
    pub(crate) tensor_names: &'static [&'static str],
    /// The per-parameter numbers it keeps.
    pub(crate) scalar_names: &'static [&'static str],
    /// What is wrong with a group's (finite) hyperparameters, one message each.
    pub(crate) check_group: fn(&BTreeMap<String, f64>) -> Vec<String>,
    /// What a parameter's state (not empty) lacks for a step under its group's
    /// hyperparameters, one message each.
    pub(crate) check_state: fn(&ParamState, &BTreeMap<String, f64>) -> Vec<String>,
}

/// What `Sgd`, `Adam` and `AdamW` share: groups, defaults, per-parameter state.
#[derive(Clone, Debug)]
pub(crate) struct Core {
    pub(crate) spec: &'static Spec,
    pub(crate) defaults: BTreeMap<String, f64>,
    pub(crate) groups: Vec<ParamGroup>,
    /// `state[g][i]`: the state of `groups[g].params[i]`; empty until its first step.
    pub(crate) state: Vec<Vec<ParamState>>,
}

impl Core {
    #[track_caller]
    pub(crate) fn new(spec: &'static Spec, params: Vec<Tensor>, defaults: &[(&str, f64)]) -> Core {
        if params.is_empty() {
            // As PyTorch's ValueError; a model whose struct lacks `#[derive(Module)]` can no
            // longer get here (it does not compile), but a filter that keeps nothing can.
            panic!(
                "{}: optimizer got an empty parameter list (model.parameters() returned no tensors)",
                spec.name
            );
        }
        let mut core = Core {
            spec,
            defaults: defaults.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            groups: Vec::new(),
            state: Vec::new(),
        };
        core.add_param_group(ParamGroup::new(params));
        core
    }

    /// Sets a default and the value in every existing group (the builder methods).
    pub(crate) fn set_default(&mut self, name: &str, value: f64) {
        self.defaults.insert(name.to_string(), value);
        for g in &mut self.groups {
            g.set(name, value);
        }
    }

    #[track_caller]
    pub(crate) fn add_param_group(&mut self, mut group: ParamGroup) {
        let name = self.spec.name;
        for key in group.options.keys() {
            if !self.defaults.contains_key(key) {
                panic!(
                    "{name}.add_param_group: unknown hyperparameter {key:?} (known: {:?})",
                    self.defaults.keys().collect::<Vec<_>>()
                );
            }
        }
        for (k, v) in &self.defaults {
            group.options.entry(k.clone()).or_insert(*v);
        }
        let mut seen: BTreeSet<usize> = self
            .groups
            .iter()
            .flat_map(|g| g.params.iter().map(|p| Arc::as_ptr(&p.0) as usize))
            .collect();
        for p in &group.params {
            if !p.is_leaf() {
                panic!("{name}: can't optimize a non-leaf Tensor");
            }
            if !p.requires_grad() {
                panic!("{name}: optimizing a parameter that doesn't require gradients");
            }
            if !seen.insert(Arc::as_ptr(&p.0) as usize) {
                panic!("{name}: some parameters appear in more than one parameter group");
            }
        }
        self.state
            .push(vec![ParamState::default(); group.params.len()]);
        self.groups.push(group);
    }

    pub(crate) fn state_dict(&self) -> OptimizerState {
        let mut state = BTreeMap::new();
        let mut index = 0;
        for (group, states) in self.groups.iter().zip(&self.state) {
            for (_, s) in group.params.iter().zip(states) {
                if !s.is_empty() {
                    state.insert(index, s.deep_clone());
                }
                index += 1;
            }
        }
        let param_groups = self
            .groups
            .iter()
            .map(|g| GroupState {
                num_params: g.params.len(),
                options: g.options.clone(),
            })
            .collect();
        OptimizerState {
            state,
            param_groups,
        }
    }

    pub(crate) fn load_state_dict(&mut self, saved: &OptimizerState) -> Result<()> {
        let spec = self.spec;
        let mut errors = Vec::new();
        if saved.param_groups.len() != self.groups.len() {
            errors.push(format!(
                "the state has {} parameter groups, the optimizer {}",
                saved.param_groups.len(),
                self.groups.len()
            ));
        }
        for (gi, (sg, g)) in saved.param_groups.iter().zip(&self.groups).enumerate() {
            if sg.num_params != g.params.len() {
                errors.push(format!(
                    "group {gi} has {} parameters in the state, {} in the optimizer",
                    sg.num_params,
                    g.params.len()
                ));
            }
            for k in self.defaults.keys() {
                if !sg.options.contains_key(k) {
                    errors.push(format!("group {gi} lacks hyperparameter {k:?}"));
                }
            }
            for k in sg.options.keys() {
                if !self.defaults.contains_key(k) {
                    errors.push(format!(
                        "group {gi} has hyperparameter {k:?}, unknown to {}",
                        spec.name
                    ));
                }
            }
            let not_finite: Vec<String> = sg
                .options
                .iter()
                .filter(|(_, v)| !v.is_finite())
                .map(|(k, v)| format!("group {gi}: hyperparameter {k:?} is {v}"))
                .collect();
            if not_finite.is_empty() {
                let problems = (spec.check_group)(&sg.options);
                errors.extend(problems.into_iter().map(|m| format!("group {gi}: {m}")));
            } else {
                errors.extend(not_finite);
            }
        }
        let params: Vec<&Tensor> = self.groups.iter().flat_map(|g| &g.params).collect();
        // The group of each parameter, numbered across groups as the state is; a state
        // whose groups are laid out otherwise has been refused above.
        let group_of: Vec<usize> = (self.groups.iter().enumerate())
            .flat_map(|(g, group)| std::iter::repeat_n(g, group.params.len()))
            .collect();
        for (&i, ps) in &saved.state {
            let Some(p) = params.get(i) else {
                errors.push(format!(
                    "state for parameter {i}, but the optimizer has {} parameters",
                    params.len()
                ));
                continue;
            };
            for (name, t) in &ps.tensors {
                if !spec.tensor_names.contains(&name.as_str()) {
                    errors.push(format!(
                        "parameter {i}: state tensor {name:?} is unknown to {}",
                        spec.name
                    ));
                } else if t.shape() != p.shape() {
                    errors.push(format!(
                        "parameter {i}: state tensor {name:?} has shape {:?}, the parameter {:?}",
                        &t.shape()[..],
                        &p.shape()[..]
                    ));
                }
            }
            for (name, v) in &ps.scalars {
                if !spec.scalar_names.contains(&name.as_str()) {
                    errors.push(format!(
                        "parameter {i}: state value {name:?} is unknown to {}",
                        spec.name
                    ));
                } else if !v.is_finite() {
                    errors.push(format!("parameter {i}: state value {name:?} is {v}"));
                }
            }
            if let Some(group) = saved.param_groups.get(group_of[i])
                && !ps.is_empty()
            {
                let problems = (spec.check_state)(ps, &group.options);
                errors.extend(problems.into_iter().map(|m| format!("parameter {i}: {m}")));
            }
        }
        if !errors.is_empty() {
            return Err(Error::msg(format!(
                "{}.load_state_dict: the state does not match: {}",
                spec.name,
                errors.join("; ")
            )));
        }
        let mut index = 0;
        for (gi, group) in self.groups.iter_mut().enumerate() {
            group.options = saved.param_groups[gi].options.clone();
            for (pi, p) in group.params.iter().enumerate() {
                self.state[gi][pi] = match saved.state.get(&index) {
                    Some(ps) => ParamState {
                        tensors: ps
                            .tensors
                            .iter()
                            // As PyTorch: state follows its parameter's dtype and device.
                            .map(|(k, t)| {
                                (
                                    k.clone(),
                                    t.to_dtype(p.dtype()).to(&p.device()).deep_clone(),
                                )
                            })
                            .collect(),
                        scalars: ps.scalars.clone(),
                    },
                    None => ParamState::default(),
                };
                index += 1;
            }
        }
        Ok(())
    }
}

/// Implements [`Optimizer`]'s plumbing by delegating to the `core` field.
macro_rules! delegate_to_core {
    () => {
        fn param_groups(&self) -> &[$crate::optim::ParamGroup] {
            &self.core.groups
        }
        fn param_groups_mut(&mut self) -> &mut [$crate::optim::ParamGroup] {
            &mut self.core.groups
        }
        #[track_caller]
        fn add_param_group(&mut self, group: $crate::optim::ParamGroup) {
            self.core.add_param_group(group)
        }
        fn state_dict(&self) -> $crate::optim::OptimizerState {
            self.core.state_dict()
        }
        fn load_state_dict(&mut self, state: &$crate::optim::OptimizerState) -> $crate::Result<()> {
            self.core.load_state_dict(state)
        }
    };
}
pub(crate) use delegate_to_core;

/// Panics with PyTorch's message unless `value` is at least zero.
#[track_caller]
pub(crate) fn check_non_negative(what: &str, value: f64) {
    if let Err(e) = non_negative(what, value) {
        panic!("{e}");
    }
}

/// PyTorch's message unless `value` is at least zero.
pub(crate) fn non_negative(what: &str, value: f64) -> std::result::Result<(), String> {
    if !(value >= 0.0) {
        return Err(format!("Invalid {what}: {value}"));
    }
    Ok(())
}

/// The messages of the checks that failed.
pub(crate) fn problems<const N: usize>(
    checks: [std::result::Result<(), String>; N],
) -> Vec<String> {
    checks.into_iter().filter_map(|c| c.err()).collect()
}

/// An error unless the flag hyperparameter `name` is 0 or 1.
pub(crate) fn flag_value(
    options: &BTreeMap<String, f64>,
    name: &str,
) -> std::result::Result<(), String> {
    match options.get(name) {
        Some(&v) if v != 0.0 && v != 1.0 => Err(format!("flag {name:?} is {v}, not 0 or 1")),
        _ => Ok(()),
    }
}
