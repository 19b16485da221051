//! An optimizer's state as plain data, PyTorch's `optimizer.state_dict()`.
use crate::{Error, Result, Tensor};
use std::collections::BTreeMap;

/// The state of one parameter: named tensors (`"momentum_buffer"`, `"exp_avg"`,
/// `"exp_avg_sq"`, `"max_exp_avg_sq"`) and named numbers (`"step"`).
///
/// ```
/// let s = firelight::optim::ParamState::default();
/// assert!(s.is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct ParamState {
    /// Buffers, each of the parameter's shape.
    pub tensors: BTreeMap<String, Tensor>,
    /// Counters such as Adam's `step`.
    pub scalars: BTreeMap<String, f64>,
}

impl ParamState {
    /// True before the parameter's first step.
    ///
    /// ```
    /// let mut s = firelight::optim::ParamState::default();
    /// s.scalars.insert("step".into(), 1.0);
    /// assert!(!s.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty() && self.scalars.is_empty()
    }

    pub(crate) fn deep_clone(&self) -> ParamState {
        ParamState {
            tensors: self
                .tensors
                .iter()
                .map(|(k, t)| (k.clone(), t.deep_clone()))
                .collect(),
            scalars: self.scalars.clone(),
        }
    }
}

/// One parameter group's entry in an [`OptimizerState`]: how many parameters it holds
/// (they are numbered consecutively across groups, as PyTorch numbers them) and its
/// hyperparameters.
///
/// ```
/// use firelight::optim::{Optimizer, Sgd};
/// let w = firelight::Tensor::zeros(&[2]).requires_grad_(true);
/// let s = Sgd::new(vec![w], 0.1).state_dict();
/// assert_eq!(s.param_groups[0].num_params, 1);
/// assert_eq!(s.param_groups[0].options["lr"], 0.1);
/// ```
#[derive(Clone, Debug)]
pub struct GroupState {
    /// The number of parameters in the group.
    pub num_params: usize,
    /// Hyperparameters by name.
    pub options: BTreeMap<String, f64>,
}

/// An optimizer's state, from [`Optimizer::state_dict`](super::Optimizer::state_dict):
/// per-parameter state keyed by the parameter's index (counting across groups in order),
/// and per-group hyperparameters. The tensors are copies.
///
/// For checkpoints, [`OptimizerState::named_tensors`] and
/// [`OptimizerState::named_scalars`] flatten it into names such as `state.0.exp_avg`,
/// `state.0.step`, `param_groups.0.lr`, `param_groups.0.num_params`, and
/// [`OptimizerState::from_named`] reads them back.
///
/// ```
/// use firelight::Tensor;
/// use firelight::optim::{Adam, Optimizer, OptimizerState};
/// let w = Tensor::ones(&[2]).requires_grad_(true);
/// let mut opt = Adam::new(vec![w.clone()], 0.1);
/// (&w * &w).sum(..).backward();
/// opt.step();
/// let s = opt.state_dict();
/// let back = OptimizerState::from_named(s.named_tensors(), s.named_scalars()).unwrap();
/// assert_eq!(back.state[&0].scalars["step"], 1.0);
/// let mut opt2 = Adam::new(vec![w.clone()], 0.1);
/// opt2.load_state_dict(&back).unwrap();
/// ```
#[derive(Clone, Debug, Default)]
pub struct OptimizerState {
    /// Per-parameter state, for parameters that have taken a step.
    pub state: BTreeMap<usize, ParamState>,
    /// Per-group hyperparameters.
    pub param_groups: Vec<GroupState>,
}

impl OptimizerState {
    /// Every state tensor, named `state.{index}.{name}`.
    ///
    /// ```
    /// let s = firelight::optim::OptimizerState::default();
    /// assert!(s.named_tensors().is_empty());
    /// ```
    pub fn named_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for (i, ps) in &self.state {
            for (name, t) in &ps.tensors {
                out.push((format!("state.{i}.{name}"), t.clone()));
            }
        }
        out
    }

    /// Every number: `state.{index}.{name}` for per-parameter counters, and
    /// `param_groups.{g}.num_params` and `param_groups.{g}.{hyperparameter}` per group.
    ///
    /// ```
    /// use firelight::optim::{Optimizer, Sgd};
    /// let w = firelight::Tensor::zeros(&[2]).requires_grad_(true);
    /// let s = Sgd::new(vec![w], 0.1).state_dict();
    /// assert!(s.named_scalars().contains(&("param_groups.0.lr".to_string(), 0.1)));
    /// ```
    pub fn named_scalars(&self) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        for (i, ps) in &self.state {
            for (name, v) in &ps.scalars {
                out.push((format!("state.{i}.{name}"), *v));
            }
        }
        for (g, gs) in self.param_groups.iter().enumerate() {
            out.push((format!("param_groups.{g}.num_params"), gs.num_params as f64));
            for (name, v) in &gs.options {
                out.push((format!("param_groups.{g}.{name}"), *v));
            }
        }
        out
    }

    /// Rebuilds a state from the names of [`OptimizerState::named_tensors`] and
    /// [`OptimizerState::named_scalars`].
    ///
    /// # Errors
    /// For a name of neither form, or groups numbered with gaps or lacking `num_params`.
    ///
    /// ```
    /// use firelight::optim::OptimizerState;
    /// let s = OptimizerState::from_named(vec![], vec![
    ///     ("param_groups.0.num_params".into(), 2.0),
    ///     ("param_groups.0.lr".into(), 0.1),
    /// ]).unwrap();
    /// assert_eq!(s.param_groups[0].num_params, 2);
    /// assert!(OptimizerState::from_named(vec![], vec![("lr".into(), 0.1)]).is_err());
    /// ```
    pub fn from_named(
        tensors: Vec<(String, Tensor)>,
        scalars: Vec<(String, f64)>,
    ) -> Result<OptimizerState> {
        fn split(name: &str) -> Option<(&str, usize, &str)> {
            let (kind, rest) = name.split_once('.')?;
            let (index, field) = rest.split_once('.')?;
            Some((kind, index.parse().ok()?, field))
        }
        let bad = |name: &str| {
            Error::msg(format!(
                "OptimizerState::from_named: {name:?} is neither state.<index>.<name> nor param_groups.<index>.<name>"
            ))
        };
        let mut state: BTreeMap<usize, ParamState> = BTreeMap::new();
        let mut groups: BTreeMap<usize, (Option<usize>, BTreeMap<String, f64>)> = BTreeMap::new();
        for (name, t) in tensors {
            match split(&name) {
                Some(("state", i, field)) => {
                    state
                        .entry(i)
                        .or_default()
                        .tensors
                        .insert(field.to_string(), t);
                }
                _ => return Err(bad(&name)),
            }
        }
        for (name, v) in scalars {
            match split(&name) {
                Some(("state", i, field)) => {
                    state
                        .entry(i)
                        .or_default()
                        .scalars
                        .insert(field.to_string(), v);
                }
                Some(("param_groups", g, "num_params")) => {
                    groups.entry(g).or_default().0 = Some(v as usize);
                }
                Some(("param_groups", g, field)) => {
                    groups.entry(g).or_default().1.insert(field.to_string(), v);
                }
                _ => return Err(bad(&name)),
            }
        }
        let mut param_groups = Vec::new();
        for (expected, (g, (num_params, options))) in groups.into_iter().enumerate() {
            if g != expected {
                return Err(Error::msg(format!(
                    "OptimizerState::from_named: parameter group {expected} is missing"
                )));
            }
            let num_params = num_params.ok_or_else(|| {
                Error::msg(format!(
                    "OptimizerState::from_named: param_groups.{g}.num_params is missing"
                ))
            })?;
            param_groups.push(GroupState {
                num_params,
                options,
            });
        }
        Ok(OptimizerState {
            state,
            param_groups,
        })
    }
}
