#!/usr/bin/env python3
"""Writes tests/fixtures/torch_optim.json: what torch.optim computes, for tests/optim_parity.rs.

- optimizers: each case runs 10 steps of an optimizer (SGD, Adam, AdamW with several option
  sets, some with two parameter groups) on a fixed problem and records the parameters
  after every step. The problem: W [3, 4] and b [4] start at W0, b0, and
      loss = ((X @ W + b - Y) ** 2).mean() + (W * C).sum() + (b * d).sum()
  which tests/optim_parity.rs computes with the same firelight ops.
- schedulers: the learning rates (and momenta) of each scheduler over 30 steps, on SGD or
  Adam with two parameter groups.
- clip: gradients, the total norm clip_grad_norm_ returns and the clipped gradients, and
  clip_grad_value_'s result.

Inputs are multiples of 1/1024 (exact in binary); float64 outputs are written with
Python's repr (shortest round-trip), so the Rust side reads the exact values. CI reads only
the JSON. Run from the repository root (needs torch):

    python3 tools/make_torch_fixtures_optim.py
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch_optim.json")
STEPS = 10


def q(shape, scale=1.0):
    """Random values rounded to multiples of 1/1024."""
    return (torch.randn(shape, dtype=torch.float64) * scale * 1024).round() / 1024


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


torch.manual_seed(0)
PROBLEM = {
    "X": q((5, 3)),
    "Y": q((5, 4)),
    "C": q((3, 4), 0.3),
    "d": q((4,), 0.3),
    "W0": q((3, 4), 0.5),
    "b0": q((4,), 0.5),
}


def loss_fn(W, b):
    P = PROBLEM
    X, Y, C, d = (P[k].to(W.dtype) for k in ("X", "Y", "C", "d"))
    r = X @ W + b - Y
    return (r * r).mean() + (W * C).sum() + (b * d).sum()


OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


def optimizer_case(name, kind, kwargs, group_lrs=None, dtype="float64"):
    dt = {"float64": torch.float64, "float32": torch.float32}[dtype]
    W = PROBLEM["W0"].to(dt).clone().requires_grad_(True)
    b = PROBLEM["b0"].to(dt).clone().requires_grad_(True)
    if group_lrs is None:
        params = [W, b]
    else:
        params = [{"params": [W], "lr": group_lrs[0]}, {"params": [b], "lr": group_lrs[1]}]
    opt = OPTIMIZERS[kind](params, **kwargs)
    steps = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_fn(W, b).backward()
        opt.step()
        steps.append({"W": flat(W), "b": flat(b)})
    return {
        "name": name,
        "optimizer": kind,
        "dtype": dtype,
        "kwargs": {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()},
        "group_lrs": group_lrs,
        "steps": steps,
    }


def optimizer_cases():
    return [
        optimizer_case("sgd_plain", "sgd", {"lr": 0.1}),
        optimizer_case("sgd_momentum", "sgd", {"lr": 0.05, "momentum": 0.9}),
        optimizer_case("sgd_dampening", "sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
        optimizer_case("sgd_nesterov", "sgd", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
        optimizer_case("sgd_weight_decay", "sgd", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1}),
        optimizer_case("sgd_maximize", "sgd", {"lr": 0.01, "momentum": 0.9, "maximize": True}),
        optimizer_case("sgd_two_groups", "sgd", {"lr": 0.1, "momentum": 0.9}, group_lrs=[0.05, 0.2]),
        optimizer_case("adam", "adam", {"lr": 0.01}),
        optimizer_case("adam_options", "adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
        optimizer_case("adam_amsgrad", "adam", {"lr": 0.05, "amsgrad": True}),
        optimizer_case("adam_weight_decay", "adam", {"lr": 0.02, "weight_decay": 0.1}),
        optimizer_case("adam_maximize", "adam", {"lr": 0.01, "maximize": True}),
        optimizer_case("adam_two_groups", "adam", {"lr": 0.01}, group_lrs=[0.01, 0.05]),
        optimizer_case("adamw", "adamw", {"lr": 0.05}),
        optimizer_case("adamw_weight_decay", "adamw", {"lr": 0.05, "weight_decay": 0.2}),
        optimizer_case("adamw_amsgrad", "adamw", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
        optimizer_case("adam_float32", "adam", {"lr": 0.01}, dtype="float32"),
        optimizer_case("sgd_float32", "sgd", {"lr": 0.05, "momentum": 0.9}, dtype="float32"),
    ]


SCHED_STEPS = 30


def scheduler_case(name, kind, args, optimizer="sgd"):
    W = torch.zeros(2, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    groups = [{"params": [W], "lr": 0.1}, {"params": [b], "lr": 0.01}]
    if optimizer == "sgd":
        opt = torch.optim.SGD(groups, lr=0.1, momentum=0.9)
    else:
        opt = torch.optim.Adam(groups, lr=0.1)
    cls = getattr(torch.optim.lr_scheduler, kind)
    s = cls(opt, **args)

    def momenta():
        if optimizer == "sgd":
            return [g["momentum"] for g in opt.param_groups]
        return [g["betas"][0] for g in opt.param_groups]

    lrs, moms = [s.get_last_lr()], [momenta()]
    for _ in range(SCHED_STEPS):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr())
        moms.append(momenta())
    return {"name": name, "kind": kind, "optimizer": optimizer, "args": args, "lrs": lrs, "momenta": moms}


def scheduler_cases():
    return [
        scheduler_case("step", "StepLR", {"step_size": 7, "gamma": 0.5}),
        scheduler_case("multistep", "MultiStepLR", {"milestones": [5, 12, 12, 20], "gamma": 0.3}),
        scheduler_case("exponential", "ExponentialLR", {"gamma": 0.9}),
        scheduler_case("cosine", "CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}),
        scheduler_case("cosine_zero_min", "CosineAnnealingLR", {"T_max": 7}),
        scheduler_case("onecycle", "OneCycleLR", {"max_lr": 1.0, "total_steps": 30}),
        scheduler_case(
            "onecycle_three_phase_linear",
            "OneCycleLR",
            {
                "max_lr": [0.5, 0.05],
                "total_steps": 30,
                "pct_start": 0.25,
                "anneal_strategy": "linear",
                "three_phase": True,
                "div_factor": 10.0,
                "final_div_factor": 100.0,
            },
        ),
        scheduler_case("onecycle_adam", "OneCycleLR", {"max_lr": 0.01, "total_steps": 30}, optimizer="adam"),
        scheduler_case(
            "onecycle_no_momentum",
            "OneCycleLR",
            {"max_lr": 0.3, "total_steps": 30, "cycle_momentum": False, "pct_start": 0.4},
        ),
    ]


def clip_cases():
    torch.manual_seed(1)
    grads = [q((3, 4)), q((4,)), q((2,), 3.0)]
    out = []
    for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (0.5, "inf"), (2.0, 1.0), (1.5, 3.0)]:
        ps = [torch.zeros_like(g, requires_grad=True) for g in grads]
        for p, g in zip(ps, grads):
            p.grad = g.clone()
        nt = float("inf") if norm_type == "inf" else norm_type
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm, nt)
        out.append({
            "kind": "norm",
            "max_norm": max_norm,
            "norm_type": norm_type,
            "grads": [{"shape": list(g.shape), "values": flat(g)} for g in grads],
            "total_norm": float(total),
            "clipped": [flat(p.grad) for p in ps],
        })
    ps = [torch.zeros_like(g, requires_grad=True) for g in grads]
    for p, g in zip(ps, grads):
        p.grad = g.clone()
    torch.nn.utils.clip_grad_value_(ps, 0.5)
    out.append({
        "kind": "value",
        "clip_value": 0.5,
        "grads": [{"shape": list(g.shape), "values": flat(g)} for g in grads],
        "clipped": [flat(p.grad) for p in ps],
    })
    return out


def main():
    doc = {
        "generator": "tools/make_torch_fixtures_optim.py",
        "torch_version": torch.__version__,
        "problem": {k: {"shape": list(v.shape), "values": flat(v)} for k, v in PROBLEM.items()},
        "optimizers": optimizer_cases(),
        "schedulers": scheduler_cases(),
        "clip": clip_cases(),
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
