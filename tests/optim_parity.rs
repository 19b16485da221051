//! Parity with `torch.optim`: replays `tests/fixtures/torch_optim.json` (written by
//! `tools/make_torch_fixtures_optim.py`): optimizer trajectories, scheduler learning rates,
//! gradient clipping; plus exact resumption from a state dict.
//!
//! Only the committed JSON is read: running this needs neither Python nor torch.
use firelight::optim::lr_scheduler::{
    Anneal, CosineAnnealingLR, ExponentialLR, LrScheduler, MultiStepLR, OneCycleLR, StepLR,
};
use firelight::optim::{
    Adam, AdamW, Optimizer, OptimizerState, ParamGroup, Sgd, clip_grad_norm_, clip_grad_value_,
};
use firelight::{DType, Tensor};
use serde_json::Value;

const FIXTURES: &str = include_str!("fixtures/torch_optim.json");

fn fixtures() -> Value {
    serde_json::from_str(FIXTURES).unwrap()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn tensor(v: &Value, dtype: DType) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    Tensor::from_vec(f64s(&v["values"]), &shape).to_dtype(dtype)
}

/// |a - b| <= rtol * |b| + atol, element by element.
fn assert_close(what: &str, got: &[f64], want: &[f64], rtol: f64, atol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= rtol * w.abs() + atol,
            "{what}[{i}]: got {g}, PyTorch {w} (all: got {got:?}, want {want:?})"
        );
    }
}

/// The fixed problem of the generator: loss = mean((X W + b - Y)^2) + sum(W C) + sum(b d).
struct Problem {
    x: Tensor,
    y: Tensor,
    c: Tensor,
    d: Tensor,
    w0: Tensor,
    b0: Tensor,
}

impl Problem {
    fn load(fx: &Value, dtype: DType) -> Problem {
        let p = &fx["problem"];
        Problem {
            x: tensor(&p["X"], dtype),
            y: tensor(&p["Y"], dtype),
            c: tensor(&p["C"], dtype),
            d: tensor(&p["d"], dtype),
            w0: tensor(&p["W0"], dtype),
            b0: tensor(&p["b0"], dtype),
        }
    }

    fn params(&self) -> (Tensor, Tensor) {
        (
            self.w0.deep_clone().requires_grad_(true),
            self.b0.deep_clone().requires_grad_(true),
        )
    }

    fn loss(&self, w: &Tensor, b: &Tensor) -> Tensor {
        let r = &(&self.x.matmul(w) + b) - &self.y;
        &(&(&r * &r).mean(..) + &(w * &self.c).sum(..)) + &(b * &self.d).sum(..)
    }

    fn train(&self, opt: &mut dyn Optimizer, w: &Tensor, b: &Tensor, steps: usize) {
        for _ in 0..steps {
            opt.zero_grad();
            self.loss(w, b).backward();
            opt.step();
        }
    }
}

/// Builds the optimizer a fixture case describes, over `w` and `b`.
fn build(case: &Value, w: &Tensor, b: &Tensor) -> Box<dyn Optimizer> {
    let kw = &case["kwargs"];
    let lr = kw["lr"].as_f64().unwrap();
    let num = |k: &str| kw.get(k).map(|v| v.as_f64().unwrap());
    let flag = |k: &str| kw.get(k).map(|v| v.as_bool().unwrap());
    let two_groups = !case["group_lrs"].is_null();
    let first = if two_groups {
        vec![w.clone()]
    } else {
        vec![w.clone(), b.clone()]
    };
    let mut opt: Box<dyn Optimizer> = match case["optimizer"].as_str().unwrap() {
        "sgd" => {
            let mut o = Sgd::new(first, lr);
            if let Some(m) = num("momentum") {
                o = o.momentum(m);
            }
            if let Some(d) = num("dampening") {
                o = o.dampening(d);
            }
            if let Some(n) = flag("nesterov") {
                o = o.nesterov(n);
            }
            if let Some(wd) = num("weight_decay") {
                o = o.weight_decay(wd);
            }
            if let Some(m) = flag("maximize") {
                o = o.maximize(m);
            }
            Box::new(o)
        }
        kind @ ("adam" | "adamw") => {
            macro_rules! adam_opts {
                ($o:expr) => {{
                    let mut o = $o;
                    if let Some(betas) = kw.get("betas") {
                        let b = f64s(betas);
                        o = o.betas((b[0], b[1]));
                    }
                    if let Some(e) = num("eps") {
                        o = o.eps(e);
                    }
                    if let Some(wd) = num("weight_decay") {
                        o = o.weight_decay(wd);
                    }
                    if let Some(a) = flag("amsgrad") {
                        o = o.amsgrad(a);
                    }
                    if let Some(m) = flag("maximize") {
                        o = o.maximize(m);
                    }
                    o
                }};
            }
            if kind == "adam" {
                Box::new(adam_opts!(Adam::new(first, lr)))
            } else {
                Box::new(adam_opts!(AdamW::new(first, lr)))
            }
        }
        other => panic!("unknown optimizer {other}"),
    };
    if two_groups {
        let lrs = f64s(&case["group_lrs"]);
        opt.param_groups_mut()[0].set_lr(lrs[0]);
        opt.add_param_group(ParamGroup::new(vec![b.clone()]).with("lr", lrs[1]));
    }
    opt
}

#[test]
fn optimizers_follow_pytorch_step_by_step() {
    let fx = fixtures();
    let cases = fx["optimizers"].as_array().unwrap();
    assert!(cases.len() >= 16);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (dtype, rtol, atol) = match case["dtype"].as_str().unwrap() {
            "float64" => (DType::F64, 1e-6, 1e-12),
            // float32: rounding differs from PyTorch's fused kernels by an ulp or so a step
            _ => (DType::F32, 1e-5, 1e-6),
        };
        let problem = Problem::load(&fx, dtype);
        let (w, b) = problem.params();
        let mut opt = build(case, &w, &b);
        for (i, want) in case["steps"].as_array().unwrap().iter().enumerate() {
            problem.train(opt.as_mut(), &w, &b, 1);
            let what = format!("{name} step {}", i + 1);
            assert_close(
                &format!("{what} W"),
                &w.to_vec::<f64>(),
                &f64s(&want["W"]),
                rtol,
                atol,
            );
            assert_close(
                &format!("{what} b"),
                &b.to_vec::<f64>(),
                &f64s(&want["b"]),
                rtol,
                atol,
            );
        }
    }
}

#[test]
fn resuming_from_a_state_dict_is_exact() {
    let fx = fixtures();
    let problem = Problem::load(&fx, DType::F64);
    for case in fx["optimizers"].as_array().unwrap() {
        if case["dtype"] != "float64" {
            continue;
        }
        let name = case["name"].as_str().unwrap();
        let (w1, b1) = problem.params();
        let mut straight = build(case, &w1, &b1);
        problem.train(straight.as_mut(), &w1, &b1, 10);

        let (w2, b2) = problem.params();
        let mut first = build(case, &w2, &b2);
        problem.train(first.as_mut(), &w2, &b2, 5);
        let state = first.state_dict();
        // through the flat names a checkpoint writer would use
        let state = firelight::optim::OptimizerState::from_named(
            state.named_tensors(),
            state.named_scalars(),
        )
        .unwrap();
        drop(first);
        let mut resumed = build(case, &w2, &b2);
        resumed.load_state_dict(&state).unwrap();
        problem.train(resumed.as_mut(), &w2, &b2, 5);

        assert_eq!(
            w1.to_vec::<f64>(),
            w2.to_vec::<f64>(),
            "{name}: W differs after resuming"
        );
        assert_eq!(
            b1.to_vec::<f64>(),
            b2.to_vec::<f64>(),
            "{name}: b differs after resuming"
        );
    }
}

#[test]
fn load_state_dict_lists_every_mismatch() {
    let w = Tensor::zeros(&[3, 4]).requires_grad_(true);
    let b = Tensor::zeros(&[4]).requires_grad_(true);
    let mut adam = Adam::new(vec![w.clone(), b.clone()], 0.1);
    (&w.sum(..) + &b.sum(..)).backward();
    adam.step();
    let state = adam.state_dict();

    // the parameters swapped: both shapes differ
    let mut other = Adam::new(vec![b.clone(), w.clone()], 0.1);
    let err = other.load_state_dict(&state).unwrap_err().to_string();
    for needle in ["parameter 0", "parameter 1", "exp_avg_sq", "[3, 4]", "[4]"] {
        assert!(err.contains(needle), "{needle:?} not in {err}");
    }

    // another optimizer's state: unknown hyperparameters and buffers
    let mut sgd = Sgd::new(vec![w.clone(), b.clone()], 0.1);
    let err = sgd.load_state_dict(&state).unwrap_err().to_string();
    for needle in ["\"beta1\"", "\"momentum\"", "\"exp_avg\"", "\"step\""] {
        assert!(err.contains(needle), "{needle:?} not in {err}");
    }

    // group and parameter counts
    let mut fewer = Adam::new(vec![w.clone()], 0.1);
    let err = fewer.load_state_dict(&state).unwrap_err().to_string();
    assert!(
        err.contains("2 parameters in the state, 1 in the optimizer"),
        "{err}"
    );
    let mut more = Adam::new(vec![w.clone()], 0.1);
    more.add_param_group(ParamGroup::new(vec![b.clone()]));
    let err = more.load_state_dict(&state).unwrap_err().to_string();
    assert!(err.contains("1 parameter groups, the optimizer 2"), "{err}");

    // a failed load changes nothing
    assert!(other.state_dict().state.is_empty());
}

/// Issue 11, cause 7: states that loaded and then made `step()` panic. Each must be refused
/// with a message naming what is wrong, and leave an optimizer that steps.
#[test]
fn load_state_dict_refuses_what_a_step_could_not_use() {
    let w = Tensor::ones(&[3]).requires_grad_(true);
    let grad = || (&w * &w).sum(..).backward();
    let mut adam = Adam::new(vec![w.clone()], 0.1);
    grad();
    adam.step();
    let stepped = adam.state_dict();

    type Edit = fn(&mut OptimizerState);
    let adam_cases: [(&str, Edit); 9] = [
        ("the state has no \"step\"", |s| {
            s.state.get_mut(&0).unwrap().scalars.clear()
        }),
        ("the state has no \"exp_avg\"", |s| {
            s.state.get_mut(&0).unwrap().tensors.remove("exp_avg");
        }),
        ("the state has no \"exp_avg_sq\"", |s| {
            s.state.get_mut(&0).unwrap().tensors.remove("exp_avg_sq");
        }),
        (
            "amsgrad is on but the state has no \"max_exp_avg_sq\"",
            |s| {
                s.param_groups[0].options.insert("amsgrad".into(), 1.0);
            },
        ),
        ("\"step\" is 0", |s| {
            s.state
                .get_mut(&0)
                .unwrap()
                .scalars
                .insert("step".into(), 0.0);
        }),
        ("state value \"step\" is NaN", |s| {
            s.state
                .get_mut(&0)
                .unwrap()
                .scalars
                .insert("step".into(), f64::NAN);
        }),
        ("hyperparameter \"lr\" is inf", |s| {
            s.param_groups[0].options.insert("lr".into(), f64::INFINITY);
        }),
        ("Invalid beta parameter at index 1: 1", |s| {
            s.param_groups[0].options.insert("beta2".into(), 1.0);
        }),
        ("flag \"maximize\" is 0.5", |s| {
            s.param_groups[0].options.insert("maximize".into(), 0.5);
        }),
    ];
    for (want, edit) in adam_cases {
        let mut bad = stepped.clone();
        edit(&mut bad);
        let mut fresh = Adam::new(vec![w.clone()], 0.1);
        let err = fresh.load_state_dict(&bad).unwrap_err().to_string();
        assert!(err.contains(want), "{want:?} not in {err}");
        grad();
        fresh.step();
    }

    let mut sgd = Sgd::new(vec![w.clone()], 0.1);
    let mut nesterov = sgd.state_dict();
    nesterov.param_groups[0]
        .options
        .insert("nesterov".into(), 1.0);
    let err = sgd.load_state_dict(&nesterov).unwrap_err().to_string();
    assert!(
        err.contains("Nesterov momentum requires a momentum and zero dampening"),
        "{err}"
    );
    grad();
    sgd.step();
}

#[test]
fn schedulers_follow_pytorch() {
    let fx = fixtures();
    for case in fx["schedulers"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let args = &case["args"];
        let num = |k: &str| args.get(k).map(|v| v.as_f64().unwrap());
        let w = Tensor::zeros(&[2]).requires_grad_(true);
        let b = Tensor::zeros(&[1]).requires_grad_(true);
        let adam = case["optimizer"] == "adam";
        let mut opt: Box<dyn Optimizer> = if adam {
            Box::new(Adam::new(vec![w], 0.1))
        } else {
            Box::new(Sgd::new(vec![w], 0.1).momentum(0.9))
        };
        opt.add_param_group(ParamGroup::new(vec![b]).with("lr", 0.01));
        let o = opt.as_mut();
        let mut sched: Box<dyn LrScheduler> = match case["kind"].as_str().unwrap() {
            "StepLR" => Box::new(StepLR::new(
                o,
                num("step_size").unwrap() as usize,
                num("gamma").unwrap(),
            )),
            "MultiStepLR" => {
                let m: Vec<usize> = f64s(&args["milestones"])
                    .iter()
                    .map(|&m| m as usize)
                    .collect();
                Box::new(MultiStepLR::new(o, &m, num("gamma").unwrap()))
            }
            "ExponentialLR" => Box::new(ExponentialLR::new(o, num("gamma").unwrap())),
            "CosineAnnealingLR" => Box::new(CosineAnnealingLR::new(
                o,
                num("T_max").unwrap() as usize,
                num("eta_min").unwrap_or(0.0),
            )),
            "OneCycleLR" => {
                let total = num("total_steps").unwrap() as usize;
                let mut bld = match &args["max_lr"] {
                    Value::Array(_) => {
                        OneCycleLR::builder(0.0, total).max_lr_per_group(f64s(&args["max_lr"]))
                    }
                    v => OneCycleLR::builder(v.as_f64().unwrap(), total),
                };
                if let Some(p) = num("pct_start") {
                    bld = bld.pct_start(p);
                }
                if args.get("anneal_strategy").is_some_and(|s| s == "linear") {
                    bld = bld.anneal_strategy(Anneal::Linear);
                }
                if let Some(t) = args.get("three_phase") {
                    bld = bld.three_phase(t.as_bool().unwrap());
                }
                if let Some(c) = args.get("cycle_momentum") {
                    bld = bld.cycle_momentum(c.as_bool().unwrap());
                }
                if let Some(d) = num("div_factor") {
                    bld = bld.div_factor(d);
                }
                if let Some(d) = num("final_div_factor") {
                    bld = bld.final_div_factor(d);
                }
                Box::new(bld.build(o))
            }
            other => panic!("unknown scheduler {other}"),
        };
        let key = if adam { "beta1" } else { "momentum" };
        let want_lrs = case["lrs"].as_array().unwrap();
        let want_moms = case["momenta"].as_array().unwrap();
        assert_eq!(want_lrs.len(), 31);
        for (i, (want_lr, want_m)) in want_lrs.iter().zip(want_moms).enumerate() {
            if i > 0 {
                opt.step();
                sched.step(opt.as_mut());
            }
            let what = format!("{name} step {i}");
            assert_close(
                &format!("{what} lr"),
                &sched.get_last_lr(),
                &f64s(want_lr),
                1e-12,
                1e-15,
            );
            let lrs: Vec<f64> = opt.param_groups().iter().map(|g| g.lr()).collect();
            assert_eq!(lrs, sched.get_last_lr(), "{what}: groups' lr");
            let moms: Vec<f64> = opt
                .param_groups()
                .iter()
                .map(|g| g.get(key).unwrap())
                .collect();
            assert_close(&format!("{what} {key}"), &moms, &f64s(want_m), 1e-12, 1e-15);
            assert_eq!(sched.last_epoch(), i as i64);
        }
    }
}

#[test]
fn clipping_follows_pytorch() {
    let fx = fixtures();
    for (ci, case) in fx["clip"].as_array().unwrap().iter().enumerate() {
        let grads: Vec<Tensor> = case["grads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| tensor(g, DType::F64))
            .collect();
        let params: Vec<Tensor> = grads
            .iter()
            .map(|g| {
                let p = g.zeros_like().requires_grad_(true);
                p.set_grad(Some(g.deep_clone()));
                p
            })
            .collect();
        // a parameter without a gradient is skipped
        let mut with_none = params.clone();
        with_none.push(
            Tensor::zeros(&[5])
                .to_dtype(DType::F64)
                .requires_grad_(true),
        );
        match case["kind"].as_str().unwrap() {
            "norm" => {
                let norm_type = match &case["norm_type"] {
                    Value::String(s) if s == "inf" => f64::INFINITY,
                    v => v.as_f64().unwrap(),
                };
                let max_norm = case["max_norm"].as_f64().unwrap();
                let total = clip_grad_norm_(&with_none, max_norm, norm_type);
                assert_eq!(total.dtype(), DType::F64);
                assert_close(
                    &format!("clip case {ci} total norm"),
                    &[total.item::<f64>()],
                    &[case["total_norm"].as_f64().unwrap()],
                    1e-12,
                    0.0,
                );
            }
            _ => clip_grad_value_(&with_none, case["clip_value"].as_f64().unwrap()),
        }
        for (i, (p, want)) in params
            .iter()
            .zip(case["clipped"].as_array().unwrap())
            .enumerate()
        {
            assert_close(
                &format!("clip case {ci} grad {i}"),
                &p.grad().unwrap().to_vec::<f64>(),
                &f64s(want),
                1e-12,
                1e-15,
            );
        }
    }
}

#[test]
fn clip_grad_norm_without_gradients_is_zero() {
    let w = Tensor::zeros(&[2]).requires_grad_(true);
    assert_eq!(clip_grad_norm_(&[w], 1.0, 2.0).item::<f32>(), 0.0);
}

#[test]
fn parameters_without_grad_are_skipped_and_zero_grad_works() {
    let w = Tensor::ones(&[2]).requires_grad_(true);
    let b = Tensor::ones(&[2]).requires_grad_(true);
    let mut opt = Adam::new(vec![w.clone(), b.clone()], 0.1);
    (&w * 2.0).sum(..).backward();
    opt.step();
    assert_eq!(b.to_vec::<f32>(), vec![1.0, 1.0]);
    assert_eq!(
        opt.state_dict().state.len(),
        1,
        "no state for the skipped parameter"
    );
    opt.zero_grad_with(false);
    assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![0.0, 0.0]);
    opt.zero_grad();
    assert!(w.grad().is_none());
}

#[test]
#[should_panic(expected = "Nesterov momentum requires a momentum and zero dampening")]
fn nesterov_needs_momentum() {
    let w = Tensor::ones(&[2]).requires_grad_(true);
    let mut opt = Sgd::new(vec![w.clone()], 0.1).nesterov(true);
    w.sum(..).backward();
    opt.step();
}

#[test]
#[should_panic(expected = "Nesterov momentum requires a momentum and zero dampening")]
fn nesterov_needs_zero_dampening() {
    let w = Tensor::ones(&[2]).requires_grad_(true);
    let mut opt = Sgd::new(vec![w.clone()], 0.1)
        .momentum(0.9)
        .dampening(0.1)
        .nesterov(true);
    w.sum(..).backward();
    opt.step();
}

#[test]
#[should_panic(expected = "more than one parameter group")]
fn a_parameter_in_two_groups_panics() {
    let w = Tensor::ones(&[2]).requires_grad_(true);
    let mut opt = Sgd::new(vec![w.clone()], 0.1);
    opt.add_param_group(ParamGroup::new(vec![w]));
}

#[test]
#[should_panic(expected = "unknown hyperparameter")]
fn an_unknown_hyperparameter_panics() {
    let w = Tensor::ones(&[2]).requires_grad_(true);
    let b = Tensor::ones(&[1]).requires_grad_(true);
    let mut opt = Sgd::new(vec![b], 0.1);
    opt.add_param_group(ParamGroup::new(vec![w]).with("momentun", 0.9));
}

/// PyTorch's `ValueError: optimizer got an empty parameter list`, from every optimizer: an
/// empty list means the model registered nothing, and training would silently do nothing.
#[test]
fn every_optimizer_refuses_an_empty_parameter_list() {
    let makers: [(&str, fn()); 3] = [
        ("SGD", || drop(Sgd::new(vec![], 0.1))),
        ("Adam", || drop(Adam::new(vec![], 1e-3))),
        ("AdamW", || drop(AdamW::new(vec![], 1e-3))),
    ];
    for (name, make) in makers {
        let err = std::panic::catch_unwind(make).expect_err(name);
        let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            msg.starts_with(&format!("{name}: optimizer got an empty parameter list")),
            "{name}: {msg}"
        );
    }
}

#[test]
#[should_panic(expected = "tried to step 3 times")]
fn one_cycle_past_its_total_panics() {
    let w = Tensor::ones(&[2]).requires_grad_(true);
    let mut opt = Sgd::new(vec![w], 0.1);
    let mut s = OneCycleLR::new(&mut opt, 0.1, 2);
    for _ in 0..3 {
        s.step(&mut opt);
    }
}
