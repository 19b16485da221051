#!/usr/bin/env python3
"""Writes tests/fixtures/torch_functional.json: what torch.nn.functional computes for the
activations and losses of firelight::nn::functional, with the inputs' gradients.

Each case records its op name, params, inputs (float tensors as shape + values, int64
targets), the output, the upstream gradient `grad_output` and the gradient of every float
input that requires grad after `out.backward(grad_output)`. tests/nn_functional_parity.rs
replays them from the JSON alone (CI never runs Python).

    python3 tools/make_torch_fixtures_functional.py

Inputs are rounded to multiples of 1/1024 (exact in float32); values are written as
float32 rounded to 9 significant digits.
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch_functional.json")
torch.manual_seed(0)


def q(t):
    return torch.round(t * 1024) / 1024


def randn(*shape):
    return q(torch.randn(shape))


def enc(t):
    t = t.detach()
    if t.dtype == torch.int64:
        return {"shape": list(t.shape), "dtype": "int64", "values": t.flatten().tolist()}
    return {
        "shape": list(t.shape),
        "dtype": "float32",
        "values": [float("%.9g" % v) for v in t.float().flatten().tolist()],
    }


CASES = []


def case(op, params, inputs, grad_of, fn):
    """inputs: dict name -> tensor; grad_of: names of inputs that require grad."""
    ins = {k: (v.clone().requires_grad_(True) if k in grad_of else v) for k, v in inputs.items()}
    out = fn(**ins)
    gout = q(torch.rand(out.shape) + 0.5)
    out.backward(gout)
    CASES.append({
        "op": op,
        "params": params,
        "inputs": {k: enc(v) for k, v in inputs.items()},
        "output": enc(out),
        "grad_output": enc(gout),
        "grads": {k: enc(ins[k].grad) for k in grad_of},
    })


x = randn(3, 5)
case("relu", {}, {"x": x}, ["x"], lambda x: F.relu(x))
case("leaky_relu", {"negative_slope": 0.2}, {"x": x}, ["x"], lambda x: F.leaky_relu(x, 0.2))
case("gelu", {}, {"x": x}, ["x"], lambda x: F.gelu(x))
case("sigmoid", {}, {"x": x}, ["x"], lambda x: torch.sigmoid(x))
case("tanh", {}, {"x": x}, ["x"], lambda x: torch.tanh(x))
for d in (0, 1, -1):
    case("softmax", {"dim": d}, {"x": x}, ["x"], lambda x, d=d: F.softmax(x, d))
    case("log_softmax", {"dim": d}, {"x": x}, ["x"], lambda x, d=d: F.log_softmax(x, d))
big = x * 100
case("log_softmax", {"dim": 1}, {"x": big}, ["x"], lambda x: F.log_softmax(x, 1))

w = randn(4, 5)
b = randn(4)
case("linear", {"bias": True}, {"x": x, "w": w, "b": b}, ["x", "w", "b"], lambda x, w, b: F.linear(x, w, b))
case("linear", {"bias": False}, {"x": x, "w": w}, ["x", "w"], lambda x, w: F.linear(x, w))

REDS = ["none", "mean", "sum"]
logits = randn(4, 5)
target = torch.tensor([1, 0, 4, 2])
target_ign = torch.tensor([1, -100, 4, 3])
target_ign2 = torch.tensor([1, 2, 4, 2])
cw = q(torch.rand(5) + 0.25)
lp = F.log_softmax(logits, 1).detach()
for red in REDS:
    for weight in (False, True):
        for ign, t in ((-100, target), (-100, target_ign), (2, target_ign2)):
            params = {"reduction": red, "weight": weight, "ignore_index": ign}
            ins = {"input": lp, "target": t}
            if weight:
                ins["weight"] = cw
            case("nll_loss", params, ins, ["input"],
                 lambda input, target, weight=None, red=red, ign=ign: F.nll_loss(
                     input, target, weight=weight, ignore_index=ign, reduction=red))
            for ls in (0.0, 0.3):
                p = dict(params, label_smoothing=ls)
                ins = {"input": logits, "target": t}
                if weight:
                    ins["weight"] = cw
                case("cross_entropy", p, ins, ["input"],
                     lambda input, target, weight=None, red=red, ign=ign, ls=ls: F.cross_entropy(
                         input, target, weight=weight, ignore_index=ign, reduction=red,
                         label_smoothing=ls))
# [N, C, d] input, and [C] input with a 0-dim target
x3 = randn(2, 3, 4)
t3 = torch.tensor([[0, 2, 1, 1], [2, -100, 0, 1]])
for red in REDS:
    case("cross_entropy", {"reduction": red, "weight": True, "ignore_index": -100, "label_smoothing": 0.1},
         {"input": x3, "target": t3, "weight": cw[:3]}, ["input"],
         lambda input, target, weight, red=red: F.cross_entropy(
             input, target, weight=weight, reduction=red, label_smoothing=0.1))
    case("nll_loss", {"reduction": red, "weight": False, "ignore_index": -100},
         {"input": x3, "target": t3}, ["input"],
         lambda input, target, red=red: F.nll_loss(input, target, reduction=red))
    case("cross_entropy", {"reduction": red, "weight": False, "ignore_index": -100, "label_smoothing": 0.0},
         {"input": logits[0], "target": torch.tensor(3)}, ["input"],
         lambda input, target, red=red: F.cross_entropy(input, target, reduction=red))

a = randn(3, 4)
bt = randn(3, 4)
yb = q(torch.rand(3, 4))
pw = q(torch.rand(4) * 2 + 0.5)
ew = q(torch.rand(3, 4) + 0.5)
for red in REDS:
    case("mse_loss", {"reduction": red}, {"input": a, "target": bt}, ["input", "target"],
         lambda input, target, red=red: F.mse_loss(input, target, reduction=red))
    for use_pw in (False, True):
        for use_w in (False, True):
            ins = {"input": a * 4, "target": yb}
            if use_pw:
                ins["pos_weight"] = pw
            if use_w:
                ins["weight"] = ew
            case("bce_with_logits", {"reduction": red}, ins, ["input", "target"],
                 lambda input, target, pos_weight=None, weight=None, red=red:
                 F.binary_cross_entropy_with_logits(input, target, weight=weight,
                                                    pos_weight=pos_weight, reduction=red))

# Added after the cases above, so their random inputs stay as they were.
xt = randn(4, 6) * 3
for inp in (x, xt):
    case("gelu", {"approximate": "tanh"}, {"x": inp}, ["x"], lambda x: F.gelu(x, approximate="tanh"))

with open(OUT, "w") as f:
    json.dump({"torch_version": torch.__version__, "cases": CASES}, f, separators=(",", ":"))
    f.write("\n")
print(len(CASES), "cases,", os.path.getsize(OUT), "bytes")
