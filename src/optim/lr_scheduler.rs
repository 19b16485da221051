//! Learning-rate schedulers, as `torch.optim.lr_scheduler`.
//!
//! A scheduler does not hold the optimizer (so that the optimizer stays usable between
//! scheduler steps); it is given it at construction, which sets the first learning rate
//! as PyTorch's constructors do, and at each [`LrScheduler::step`]. The learning rates
//! follow PyTorch's recurrences on the groups' current `lr`, so they match PyTorch's
//! values step for step.
//!
//! ```
//! use firelight::Tensor;
//! use firelight::optim::{Optimizer, Sgd};
//! use firelight::optim::lr_scheduler::{LrScheduler, StepLR};
//! let w = Tensor::zeros(&[2]).requires_grad_(true);
//! let mut opt = Sgd::new(vec![w], 0.1);
//! let mut sched = StepLR::new(&mut opt, 2, 0.5);
//! let mut lrs = vec![];
//! for _epoch in 0..5 {
//!     // ... train: opt.step() per batch ...
//!     lrs.push(sched.get_last_lr()[0]);
//!     sched.step(&mut opt);
//! }
//! assert_eq!(lrs, vec![0.1, 0.1, 0.05, 0.05, 0.025]);
//! ```
use super::Optimizer;
use std::f64::consts::PI;

/// What every scheduler does.
///
/// ```
/// use firelight::optim::{Optimizer, Sgd};
/// use firelight::optim::lr_scheduler::{ExponentialLR, LrScheduler};
/// let w = firelight::Tensor::zeros(&[1]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], 1.0);
/// let mut s: Box<dyn LrScheduler> = Box::new(ExponentialLR::new(&mut opt, 0.5));
/// s.step(&mut opt);
/// assert_eq!(s.get_last_lr(), vec![0.5]);
/// assert_eq!(s.last_epoch(), 1);
/// ```
pub trait LrScheduler {
    /// Advances one epoch (or batch) and sets every group's `lr` in `optimizer`.
    fn step(&mut self, optimizer: &mut dyn Optimizer);

    /// The learning rates the last step set, one per group.
    fn get_last_lr(&self) -> Vec<f64>;

    /// How many steps have been taken (0 right after construction).
    fn last_epoch(&self) -> i64;
}

/// The counters and learning rates every scheduler keeps.
#[derive(Clone, Debug)]
struct Base {
    base_lrs: Vec<f64>,
    last_lr: Vec<f64>,
    last_epoch: i64,
}

impl Base {
    fn new(optimizer: &dyn Optimizer) -> Base {
        let base_lrs: Vec<f64> = optimizer.param_groups().iter().map(|g| g.lr()).collect();
        Base {
            last_lr: base_lrs.clone(),
            base_lrs,
            last_epoch: -1,
        }
    }

    /// PyTorch's `step()`: advance the epoch, compute each group's lr from its current
    /// one, set it.
    fn step(
        &mut self,
        optimizer: &mut dyn Optimizer,
        mut lr: impl FnMut(i64, usize, f64, f64) -> f64,
    ) {
        self.last_epoch += 1;
        let epoch = self.last_epoch;
        let groups = optimizer.param_groups_mut();
        for (i, group) in groups.iter_mut().enumerate() {
            let new = lr(epoch, i, group.lr(), self.base_lrs[i]);
            group.set_lr(new);
        }
        self.last_lr = groups.iter().map(|g| g.lr()).collect();
    }
}

macro_rules! scheduler_accessors {
    () => {
        fn get_last_lr(&self) -> Vec<f64> {
            self.base.last_lr.clone()
        }
        fn last_epoch(&self) -> i64 {
            self.base.last_epoch
        }
    };
}

/// Multiplies the learning rate by `gamma` every `step_size` steps.
///
/// ```
/// use firelight::optim::{Optimizer, Sgd};
/// use firelight::optim::lr_scheduler::{LrScheduler, StepLR};
/// let w = firelight::Tensor::zeros(&[1]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], 1.0);
/// let mut s = StepLR::new(&mut opt, 3, 0.1);
/// for _ in 0..3 { s.step(&mut opt); }
/// assert!((opt.param_groups()[0].lr() - 0.1).abs() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct StepLR {
    base: Base,
    step_size: usize,
    gamma: f64,
}

impl StepLR {
    /// A step schedule; sets the initial learning rate (unchanged) as PyTorch does.
    ///
    /// # Panics
    /// If `step_size` is 0.
    ///
    /// ```
    /// use firelight::optim::{Optimizer, Sgd};
    /// use firelight::optim::lr_scheduler::{LrScheduler, StepLR};
    /// let w = firelight::Tensor::zeros(&[1]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], 0.1);
    /// let s = StepLR::new(&mut opt, 30, 0.1);
    /// assert_eq!(s.get_last_lr(), vec![0.1]);
    /// ```
    #[track_caller]
    pub fn new(optimizer: &mut dyn Optimizer, step_size: usize, gamma: f64) -> StepLR {
        assert!(step_size > 0, "StepLR: step_size must be positive");
        let mut s = StepLR {
            base: Base::new(optimizer),
            step_size,
            gamma,
        };
        s.step(optimizer);
        s
    }
}

impl LrScheduler for StepLR {
    fn step(&mut self, optimizer: &mut dyn Optimizer) {
        let (step_size, gamma) = (self.step_size as i64, self.gamma);
        self.base.step(optimizer, |epoch, _, lr, _| {
            if epoch == 0 || epoch % step_size != 0 {
                lr
            } else {
                lr * gamma
            }
        });
    }
    scheduler_accessors!();
}

/// Multiplies the learning rate by `gamma` at each milestone (a milestone listed twice
/// multiplies by `gamma` twice).
///
/// ```
/// use firelight::optim::{Optimizer, Sgd};
/// use firelight::optim::lr_scheduler::{LrScheduler, MultiStepLR};
/// let w = firelight::Tensor::zeros(&[1]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], 1.0);
/// let mut s = MultiStepLR::new(&mut opt, &[2, 4], 0.5);
/// let mut lrs = vec![];
/// for _ in 0..5 { s.step(&mut opt); lrs.push(s.get_last_lr()[0]); }
/// assert_eq!(lrs, vec![1.0, 0.5, 0.5, 0.25, 0.25]);
/// ```
#[derive(Clone, Debug)]
pub struct MultiStepLR {
    base: Base,
    milestones: Vec<usize>,
    gamma: f64,
}

impl MultiStepLR {
    /// A schedule decaying at the given steps; sets the initial learning rate.
    ///
    /// ```
    /// use firelight::optim::{Optimizer, Sgd};
    /// use firelight::optim::lr_scheduler::{LrScheduler, MultiStepLR};
    /// let w = firelight::Tensor::zeros(&[1]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], 0.1);
    /// let s = MultiStepLR::new(&mut opt, &[30, 80], 0.1);
    /// assert_eq!(s.get_last_lr(), vec![0.1]);
    /// ```
    pub fn new(optimizer: &mut dyn Optimizer, milestones: &[usize], gamma: f64) -> MultiStepLR {
        let mut s = MultiStepLR {
            base: Base::new(optimizer),
            milestones: milestones.to_vec(),
            gamma,
        };
        s.step(optimizer);
        s
    }
}

impl LrScheduler for MultiStepLR {
    fn step(&mut self, optimizer: &mut dyn Optimizer) {
        let (milestones, gamma) = (&self.milestones, self.gamma);
        self.base.step(optimizer, |epoch, _, lr, _| {
            let count = milestones.iter().filter(|&&m| m as i64 == epoch).count();
            if count == 0 {
                lr
            } else {
                lr * gamma.powi(count as i32)
            }
        });
    }
    scheduler_accessors!();
}

/// Multiplies the learning rate by `gamma` every step.
///
/// ```
/// use firelight::optim::{Optimizer, Sgd};
/// use firelight::optim::lr_scheduler::{ExponentialLR, LrScheduler};
/// let w = firelight::Tensor::zeros(&[1]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], 1.0);
/// let mut s = ExponentialLR::new(&mut opt, 0.5);
/// s.step(&mut opt);
/// s.step(&mut opt);
/// assert_eq!(s.get_last_lr(), vec![0.25]);
/// ```
#[derive(Clone, Debug)]
pub struct ExponentialLR {
    base: Base,
    gamma: f64,
}

impl ExponentialLR {
    /// An exponential decay; sets the initial learning rate.
    ///
    /// ```
    /// use firelight::optim::{Optimizer, Sgd};
    /// use firelight::optim::lr_scheduler::{ExponentialLR, LrScheduler};
    /// let w = firelight::Tensor::zeros(&[1]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], 0.1);
    /// assert_eq!(ExponentialLR::new(&mut opt, 0.9).last_epoch(), 0);
    /// ```
    pub fn new(optimizer: &mut dyn Optimizer, gamma: f64) -> ExponentialLR {
        let mut s = ExponentialLR {
            base: Base::new(optimizer),
            gamma,
        };
        s.step(optimizer);
        s
    }
}

impl LrScheduler for ExponentialLR {
    fn step(&mut self, optimizer: &mut dyn Optimizer) {
        let gamma = self.gamma;
        self.base.step(
            optimizer,
            |epoch, _, lr, _| {
                if epoch == 0 { lr } else { lr * gamma }
            },
        );
    }
    scheduler_accessors!();
}

/// Cosine annealing from the initial learning rate down to `eta_min` over `t_max` steps
/// (and back up over the next `t_max`, periodically), with PyTorch's recurrence.
///
/// ```
/// use firelight::optim::{Optimizer, Sgd};
/// use firelight::optim::lr_scheduler::{CosineAnnealingLR, LrScheduler};
/// let w = firelight::Tensor::zeros(&[1]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], 1.0);
/// let mut s = CosineAnnealingLR::new(&mut opt, 4, 0.0);
/// s.step(&mut opt);
/// s.step(&mut opt);
/// assert!((s.get_last_lr()[0] - 0.5).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct CosineAnnealingLR {
    base: Base,
    t_max: usize,
    eta_min: f64,
}

impl CosineAnnealingLR {
    /// A cosine schedule with period `2 * t_max`; sets the initial learning rate.
    ///
    /// # Panics
    /// If `t_max` is 0.
    ///
    /// ```
    /// use firelight::optim::{Optimizer, Sgd};
    /// use firelight::optim::lr_scheduler::{CosineAnnealingLR, LrScheduler};
    /// let w = firelight::Tensor::zeros(&[1]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], 0.1);
    /// let s = CosineAnnealingLR::new(&mut opt, 10, 1e-4);
    /// assert_eq!(s.get_last_lr(), vec![0.1]);
    /// ```
    #[track_caller]
    pub fn new(optimizer: &mut dyn Optimizer, t_max: usize, eta_min: f64) -> CosineAnnealingLR {
        assert!(t_max > 0, "CosineAnnealingLR: t_max must be positive");
        let mut s = CosineAnnealingLR {
            base: Base::new(optimizer),
            t_max,
            eta_min,
        };
        s.step(optimizer);
        s
    }
}

impl LrScheduler for CosineAnnealingLR {
    fn step(&mut self, optimizer: &mut dyn Optimizer) {
        let (t_max, eta_min) = (self.t_max as i64, self.eta_min);
        let tm = t_max as f64;
        self.base.step(optimizer, |epoch, _, lr, base_lr| {
            if epoch == 0 {
                lr
            } else if (epoch - 1 - t_max).rem_euclid(2 * t_max) == 0 {
                lr + (base_lr - eta_min) * (1.0 - (PI / tm).cos()) / 2.0
            } else {
                (1.0 + (PI * epoch as f64 / tm).cos())
                    / (1.0 + (PI * (epoch - 1) as f64 / tm).cos())
                    * (lr - eta_min)
                    + eta_min
            }
        });
    }
    scheduler_accessors!();
}

/// How [`OneCycleLR`] interpolates within a phase.
///
/// ```
/// let a = firelight::optim::lr_scheduler::Anneal::Cos;
/// assert_eq!(a, firelight::optim::lr_scheduler::Anneal::default());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Anneal {
    /// Cosine annealing (PyTorch's default).
    #[default]
    Cos,
    /// Linear interpolation.
    Linear,
}

impl Anneal {
    fn apply(self, start: f64, end: f64, pct: f64) -> f64 {
        match self {
            Anneal::Cos => end + (start - end) / 2.0 * ((PI * pct).cos() + 1.0),
            Anneal::Linear => (end - start) * pct + start,
        }
    }
}

/// The 1cycle policy: the learning rate rises from `max_lr / div_factor` to `max_lr` over
/// `pct_start` of `total_steps`, then falls to `max_lr / div_factor / final_div_factor`
/// (with `three_phase`, it first falls back to the initial rate symmetrically). Step it
/// after every batch.
///
/// Defaults as PyTorch's: pct_start 0.3, cosine annealing, div_factor 25, final_div_factor
/// 1e4, three_phase off, and momentum cycling on (base 0.85, max 0.95), which sets the
/// groups' `momentum` (SGD) or `beta1` (Adam, AdamW) inversely to the learning rate.
///
/// ```
/// use firelight::optim::{Optimizer, Sgd};
/// use firelight::optim::lr_scheduler::{LrScheduler, OneCycleLR};
/// let w = firelight::Tensor::zeros(&[1]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], 0.1).momentum(0.9);
/// let mut s = OneCycleLR::builder(1.0, 10).build(&mut opt);
/// assert!((s.get_last_lr()[0] - 0.04).abs() < 1e-12);
/// assert_eq!(opt.param_groups()[0].get("momentum"), Some(0.95));
/// for _ in 0..2 { s.step(&mut opt); }
/// assert!((s.get_last_lr()[0] - 1.0).abs() < 1e-12); // the peak at step 0.3 * 10 - 1
/// ```
#[derive(Clone, Debug)]
pub struct OneCycleLR {
    base: Base,
    total_steps: usize,
    anneal: Anneal,
    /// (end_step, lr at its start, lr at its end) of each phase.
    phases: Vec<(f64, Phase, Phase)>,
    /// Per group: initial_lr, max_lr, min_lr.
    lrs: Vec<[f64; 3]>,
    /// (base_momentum, max_momentum) when cycling momentum, and the group key it sets.
    momentum: Option<(f64, f64, &'static str)>,
}

/// Which of a group's three rates (or two momenta) a phase starts or ends at.
#[derive(Clone, Copy, Debug)]
enum Phase {
    Initial,
    Max,
    Min,
}

/// The options of [`OneCycleLR`], with PyTorch's defaults.
///
/// ```
/// use firelight::optim::{Optimizer, Sgd};
/// use firelight::optim::lr_scheduler::{Anneal, LrScheduler, OneCycleLR};
/// let w = firelight::Tensor::zeros(&[1]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], 0.1);
/// let s = OneCycleLR::builder(0.1, 100)
///     .pct_start(0.25)
///     .anneal_strategy(Anneal::Linear)
///     .div_factor(10.0)
///     .final_div_factor(100.0)
///     .three_phase(true)
///     .cycle_momentum(false)
///     .build(&mut opt);
/// assert!((s.get_last_lr()[0] - 0.01).abs() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct OneCycleBuilder {
    max_lr: Vec<f64>,
    total_steps: usize,
    pct_start: f64,
    anneal: Anneal,
    cycle_momentum: bool,
    base_momentum: f64,
    max_momentum: f64,
    div_factor: f64,
    final_div_factor: f64,
    three_phase: bool,
}

impl OneCycleBuilder {
    /// One `max_lr` per parameter group (instead of the same for all).
    ///
    /// ```
    /// use firelight::optim::lr_scheduler::OneCycleLR;
    /// let b = OneCycleLR::builder(0.1, 10).max_lr_per_group(vec![0.1, 0.01]);
    /// ```
    pub fn max_lr_per_group(mut self, max_lr: Vec<f64>) -> Self {
        self.max_lr = max_lr;
        self
    }
    /// The fraction of steps spent raising the learning rate (default 0.3).
    ///
    /// ```
    /// use firelight::optim::lr_scheduler::{Anneal, OneCycleLR};
    /// let _b = OneCycleLR::builder(0.1, 100).pct_start(0.25);
    /// # let _ = Anneal::Cos;
    /// ```
    pub fn pct_start(mut self, pct_start: f64) -> Self {
        self.pct_start = pct_start;
        self
    }
    /// Cosine (default) or linear annealing.
    ///
    /// ```
    /// use firelight::optim::lr_scheduler::{Anneal, OneCycleLR};
    /// let _b = OneCycleLR::builder(0.1, 100).anneal_strategy(Anneal::Linear);
    /// # let _ = Anneal::Cos;
    /// ```
    pub fn anneal_strategy(mut self, anneal: Anneal) -> Self {
        self.anneal = anneal;
        self
    }
    /// Whether to cycle momentum (`momentum` or `beta1`) inversely to the learning rate
    /// (default true).
    ///
    /// ```
    /// use firelight::optim::lr_scheduler::{Anneal, OneCycleLR};
    /// let _b = OneCycleLR::builder(0.1, 100).cycle_momentum(false);
    /// # let _ = Anneal::Cos;
    /// ```
    pub fn cycle_momentum(mut self, cycle: bool) -> Self {
        self.cycle_momentum = cycle;
        self
    }
    /// The lowest momentum of the cycle (default 0.85).
    ///
    /// ```
    /// use firelight::optim::lr_scheduler::{Anneal, OneCycleLR};
    /// let _b = OneCycleLR::builder(0.1, 100).base_momentum(0.8);
    /// # let _ = Anneal::Cos;
    /// ```
    pub fn base_momentum(mut self, m: f64) -> Self {
        self.base_momentum = m;
        self
    }
    /// The highest momentum of the cycle (default 0.95).
    ///
    /// ```
    /// use firelight::optim::lr_scheduler::{Anneal, OneCycleLR};
    /// let _b = OneCycleLR::builder(0.1, 100).max_momentum(0.9);
    /// # let _ = Anneal::Cos;
    /// ```
    pub fn max_momentum(mut self, m: f64) -> Self {
        self.max_momentum = m;
        self
    }
    /// The initial learning rate is `max_lr / div_factor` (default 25).
    ///
    /// ```
    /// use firelight::optim::lr_scheduler::{Anneal, OneCycleLR};
    /// let _b = OneCycleLR::builder(0.1, 100).div_factor(10.0);
    /// # let _ = Anneal::Cos;
    /// ```
    pub fn div_factor(mut self, d: f64) -> Self {
        self.div_factor = d;
        self
    }
    /// The final learning rate is the initial one divided by this (default 1e4).
    ///
    /// ```
    /// use firelight::optim::lr_scheduler::{Anneal, OneCycleLR};
    /// let _b = OneCycleLR::builder(0.1, 100).final_div_factor(100.0);
    /// # let _ = Anneal::Cos;
    /// ```
    pub fn final_div_factor(mut self, d: f64) -> Self {
        self.final_div_factor = d;
        self
    }
    /// Falls back to the initial rate before annealing to the final one (default false).
    ///
    /// ```
    /// use firelight::optim::lr_scheduler::{Anneal, OneCycleLR};
    /// let _b = OneCycleLR::builder(0.1, 100).three_phase(true);
    /// # let _ = Anneal::Cos;
    /// ```
    pub fn three_phase(mut self, three_phase: bool) -> Self {
        self.three_phase = three_phase;
        self
    }

    /// The scheduler; sets the groups' initial learning rate (and momentum).
    ///
    /// # Panics
    /// If `total_steps` is 0, `pct_start` is outside `[0, 1]`, the number of `max_lr`
    /// values differs from the number of groups, or momentum cycling is on and the
    /// optimizer has neither `momentum` nor `beta1`.
    ///
    /// ```
    /// use firelight::optim::{Adam, Optimizer};
    /// use firelight::optim::lr_scheduler::OneCycleLR;
    /// let w = firelight::Tensor::zeros(&[1]).requires_grad_(true);
    /// let mut opt = Adam::new(vec![w], 1e-3);
    /// let _s = OneCycleLR::builder(0.01, 100).build(&mut opt);
    /// assert_eq!(opt.param_groups()[0].get("beta1"), Some(0.95));
    /// ```
    #[track_caller]
    pub fn build(self, optimizer: &mut dyn Optimizer) -> OneCycleLR {
        assert!(
            self.total_steps > 0,
            "OneCycleLR: total_steps must be positive"
        );
        assert!(
            (0.0..=1.0).contains(&self.pct_start),
            "OneCycleLR: expected a pct_start between 0 and 1, got {}",
            self.pct_start
        );
        let n = optimizer.param_groups().len();
        let max_lrs = if self.max_lr.len() == 1 {
            vec![self.max_lr[0]; n]
        } else {
            assert_eq!(
                self.max_lr.len(),
                n,
                "OneCycleLR: expected {n} values for max_lr, got {}",
                self.max_lr.len()
            );
            self.max_lr.clone()
        };
        let lrs: Vec<[f64; 3]> = max_lrs
            .iter()
            .map(|&max| {
                let initial = max / self.div_factor;
                [initial, max, initial / self.final_div_factor]
            })
            .collect();
        let total = self.total_steps as f64;
        let p = self.pct_start;
        use Phase::*;
        // (end_step, lr from, lr to); momentum runs opposite: Max where lr is Initial/Min.
        let phases = if self.three_phase {
            vec![
                (p * total - 1.0, Initial, Max),
                (2.0 * p * total - 2.0, Max, Initial),
                (total - 1.0, Initial, Min),
            ]
        } else {
            vec![(p * total - 1.0, Initial, Max), (total - 1.0, Max, Min)]
        };
        let momentum = if self.cycle_momentum {
            let g = &optimizer.param_groups()[0];
            let key = if g.get("momentum").is_some() {
                "momentum"
            } else if g.get("beta1").is_some() {
                "beta1"
            } else {
                panic!(
                    "OneCycleLR: optimizer must support momentum or beta1 with cycle_momentum enabled"
                );
            };
            for g in optimizer.param_groups_mut() {
                g.set(key, self.max_momentum);
            }
            Some((self.base_momentum, self.max_momentum, key))
        } else {
            None
        };
        let mut s = OneCycleLR {
            base: Base::new(optimizer),
            total_steps: self.total_steps,
            anneal: self.anneal,
            phases,
            lrs,
            momentum,
        };
        s.step(optimizer);
        s
    }
}

impl OneCycleLR {
    /// The options for a 1cycle schedule peaking at `max_lr` over `total_steps` steps,
    /// with PyTorch's defaults; finish with [`OneCycleBuilder::build`].
    ///
    /// ```
    /// use firelight::optim::{Optimizer, Sgd};
    /// use firelight::optim::lr_scheduler::OneCycleLR;
    /// let w = firelight::Tensor::zeros(&[1]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], 0.1);
    /// let _s = OneCycleLR::builder(0.1, 100).build(&mut opt);
    /// ```
    pub fn builder(max_lr: f64, total_steps: usize) -> OneCycleBuilder {
        OneCycleBuilder {
            max_lr: vec![max_lr],
            total_steps,
            pct_start: 0.3,
            anneal: Anneal::Cos,
            cycle_momentum: true,
            base_momentum: 0.85,
            max_momentum: 0.95,
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
        }
    }

    /// A 1cycle schedule with all of PyTorch's defaults.
    ///
    /// ```
    /// use firelight::optim::{Optimizer, Sgd};
    /// use firelight::optim::lr_scheduler::{LrScheduler, OneCycleLR};
    /// let w = firelight::Tensor::zeros(&[1]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], 0.1);
    /// let s = OneCycleLR::new(&mut opt, 0.5, 100);
    /// assert!((s.get_last_lr()[0] - 0.02).abs() < 1e-12);
    /// ```
    #[track_caller]
    pub fn new(optimizer: &mut dyn Optimizer, max_lr: f64, total_steps: usize) -> OneCycleLR {
        OneCycleLR::builder(max_lr, total_steps).build(optimizer)
    }
}

impl LrScheduler for OneCycleLR {
    /// # Panics
    /// When stepped more than `total_steps` times, as PyTorch.
    #[track_caller]
    fn step(&mut self, optimizer: &mut dyn Optimizer) {
        let step = self.base.last_epoch + 1;
        if step > self.total_steps as i64 {
            panic!(
                "OneCycleLR: tried to step {step} times. The specified number of total steps is {}",
                self.total_steps
            );
        }
        let step = step as f64;
        let mut start_step = 0.0;
        let mut found = (0, 0.0);
        for (i, &(end_step, _, _)) in self.phases.iter().enumerate() {
            if step <= end_step || i == self.phases.len() - 1 {
                found = (i, (step - start_step) / (end_step - start_step));
                break;
            }
            start_step = end_step;
        }
        let (phase, pct) = found;
        let (_, from, to) = self.phases[phase];
        let (anneal, lrs) = (self.anneal, &self.lrs);
        let pick = |r: &[f64; 3], p: Phase| match p {
            Phase::Initial => r[0],
            Phase::Max => r[1],
            Phase::Min => r[2],
        };
        self.base.step(optimizer, |_, i, _, _| {
            anneal.apply(pick(&lrs[i], from), pick(&lrs[i], to), pct)
        });
        if let Some((base_m, max_m, key)) = self.momentum {
            // momentum is high where the lr is low: Initial/Min -> max, Max -> base
            let m = |p: Phase| match p {
                Phase::Max => base_m,
                _ => max_m,
            };
            let value = anneal.apply(m(from), m(to), pct);
            for g in optimizer.param_groups_mut() {
                g.set(key, value);
            }
        }
    }
    scheduler_accessors!();
}
