#!/usr/bin/env python3
"""Writes tests/fixtures/torch_ops.json: what PyTorch computes for firelight's ops.

For every case it records the inputs, the op's parameters, the outputs, and, for
differentiable cases, the gradient of every float input after backpropagating a fixed
upstream gradient (`out.backward(grad_output)`, the same as `(out * w).sum().backward()`).
tests/torch_parity.rs replays each case in firelight and compares; it reads only the JSON,
so neither CI nor developers need Python or torch.

Run from the repository root (needs torch and numpy):

    python3 tools/make_torch_fixtures.py

Inputs come from `torch.manual_seed(0)` and are rounded to multiples of 1/1024, so that
each is exact in float32 and short in decimal: the Rust side rebuilds them bit for bit.
Outputs and gradients are written with the shortest decimal that round-trips float32.
Non-finite values are the strings "inf", "-inf" and "nan" (JSON has no literal for them).
The `op` names and `params` are the contract with the dispatch in tests/torch_parity.rs.
"""
import json
import math
import operator
import os
import sys

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch_ops.json")

DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "int64": torch.int64,
    "bool": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}

# ---------------------------------------------------------------------------------------
# Deterministic inputs


def q(t):
    """Rounds to a multiple of 1/1024: exact in float32, short in decimal."""
    return torch.round(t * 1024) / 1024


def randn(*shape):
    return q(torch.randn(shape))


def uniform(lo, hi, *shape):
    return q(torch.rand(shape) * (hi - lo) + lo)


def pos(*shape):
    """In [0.5, 2.5): safe for log, sqrt, fractional powers, division."""
    return uniform(0.5, 2.5, *shape)


def away(*shape):
    """|x| in [0.25, 2): away from the kinks of relu and abs, and safe to divide by."""
    sign = torch.where(torch.rand(shape) < 0.5, -1.0, 1.0)
    return sign * uniform(0.25, 2.0, *shape)


def distinct(*shape):
    """Distinct values 0.25 apart, shuffled: max/min/argmax have no ties."""
    n = math.prod(shape)
    return (torch.randperm(n).float() * 0.25 - 1.25).reshape(shape)


def ints(values, shape=None):
    t = torch.tensor(values, dtype=torch.int64)
    return t.reshape(shape) if shape is not None else t


def bools(values, shape=None):
    t = torch.tensor(values, dtype=torch.bool)
    return t.reshape(shape) if shape is not None else t


def f32(values, shape=None):
    t = torch.tensor(values, dtype=torch.float32)
    return t.reshape(shape) if shape is not None else t


# ---------------------------------------------------------------------------------------
# The ops, by the names the Rust dispatch uses. Each takes the list of (possibly
# transposed) inputs and the params, and returns a tensor or a tuple of tensors.


def binary(fn):
    def run(a, p):
        if "scalar" in p:
            s = p["scalar"]
            return fn(s, a[0]) if p.get("scalar_first") else fn(a[0], s)
        return fn(a[0], a[1])

    return run


def sliced(x, p):
    d = p["dim"] % x.dim()
    return x[(slice(None),) * d + (slice(p.get("start"), p.get("end")),)]


def to_dtypes(a, p):
    x = a[0]
    for name in p["dtypes"]:
        x = x.to(DTYPES[name])
    return x


def log_softmax_nll(a, p):
    """The tutorial's hand-written log_softmax, then nll by advanced indexing."""
    x, target = a
    lsm = x - x.exp().sum(-1).log().unsqueeze(-1)
    return -lsm[torch.arange(x.shape[0]), target].mean()


OPS = {
    "add": binary(operator.add),
    "sub": binary(operator.sub),
    "mul": binary(operator.mul),
    "div": binary(operator.truediv),
    "eq": binary(lambda a, b: a.eq(b)),
    "ne": binary(lambda a, b: a.ne(b)),
    "lt": binary(lambda a, b: a.lt(b)),
    "le": binary(lambda a, b: a.le(b)),
    "gt": binary(lambda a, b: a.gt(b)),
    "ge": binary(lambda a, b: a.ge(b)),
    "neg": lambda a, p: -a[0],
    "exp": lambda a, p: a[0].exp(),
    "log": lambda a, p: a[0].log(),
    "sqrt": lambda a, p: a[0].sqrt(),
    "abs": lambda a, p: a[0].abs(),
    "relu": lambda a, p: a[0].relu(),
    "sigmoid": lambda a, p: a[0].sigmoid(),
    "tanh": lambda a, p: a[0].tanh(),
    "pow": lambda a, p: a[0].pow(p["exponent"]) if "exponent" in p else a[0].pow(a[1]),
    "maximum": lambda a, p: torch.maximum(a[0], a[1]),
    "minimum": lambda a, p: torch.minimum(a[0], a[1]),
    "clamp": lambda a, p: a[0].clamp(p["min"], p["max"]),
    "clamp_min": lambda a, p: a[0].clamp_min(p["min"]),
    "clamp_max": lambda a, p: a[0].clamp_max(p["max"]),
    "where": lambda a, p: torch.where(a[0], a[1], a[2]),
    "masked_fill": lambda a, p: a[0].masked_fill(a[1], p["value"]),
    "sum": lambda a, p: a[0].sum(),
    "sum_dim": lambda a, p: a[0].sum(dim=tuple(p["dims"]), keepdim=p["keepdim"]),
    "mean": lambda a, p: a[0].mean(),
    "mean_dim": lambda a, p: a[0].mean(dim=tuple(p["dims"]), keepdim=p["keepdim"]),
    "max": lambda a, p: a[0].max(),
    "min": lambda a, p: a[0].min(),
    "max_dim": lambda a, p: tuple(a[0].max(dim=p["dim"], keepdim=p["keepdim"])),
    "min_dim": lambda a, p: tuple(a[0].min(dim=p["dim"], keepdim=p["keepdim"])),
    "argmax": lambda a, p: a[0].argmax(),
    "argmin": lambda a, p: a[0].argmin(),
    "argmax_dim": lambda a, p: a[0].argmax(dim=p["dim"], keepdim=p["keepdim"]),
    "argmin_dim": lambda a, p: a[0].argmin(dim=p["dim"], keepdim=p["keepdim"]),
    "logsumexp": lambda a, p: a[0].logsumexp(dim=tuple(p["dims"]), keepdim=p["keepdim"]),
    "matmul": lambda a, p: a[0].matmul(a[1]),
    "mm": lambda a, p: a[0].mm(a[1]),
    "gather": lambda a, p: a[0].gather(p["dim"], a[1]),
    "index_select": lambda a, p: a[0].index_select(p["dim"], a[1]),
    "index": lambda a, p: a[0][tuple(a[1:])],
    "cat": lambda a, p: torch.cat(a, p["dim"]),
    "stack": lambda a, p: torch.stack(a, p["dim"]),
    "view": lambda a, p: a[0].view(p["shape"]),
    "reshape": lambda a, p: a[0].reshape(p["shape"]),
    "transpose": lambda a, p: a[0].transpose(p["dim0"], p["dim1"]),
    "permute": lambda a, p: a[0].permute(p["dims"]),
    "t": lambda a, p: a[0].t(),
    "narrow": lambda a, p: a[0].narrow(p["dim"], p["start"], p["length"]),
    "slice": lambda a, p: sliced(a[0], p),
    "select": lambda a, p: a[0].select(p["dim"], p["index"]),
    "unsqueeze": lambda a, p: a[0].unsqueeze(p["dim"]),
    "squeeze": lambda a, p: a[0].squeeze(),
    "squeeze_dim": lambda a, p: a[0].squeeze(p["dim"]),
    "expand": lambda a, p: a[0].expand(p["sizes"]),
    "expand_as": lambda a, p: a[0].expand_as(a[1]),
    "flatten": lambda a, p: a[0].flatten(p["start_dim"], p["end_dim"]),
    "contiguous": lambda a, p: a[0].contiguous(),
    "clone": lambda a, p: a[0].clone(),
    "to_dtype": to_dtypes,
    "log_softmax_nll": log_softmax_nll,
}

# ---------------------------------------------------------------------------------------
# Recording


def enc(x, dtype):
    if dtype == torch.bool:
        return bool(x)
    if dtype == torch.int64:
        return int(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if dtype == torch.float32:
        # The shortest decimal that round-trips float32 (9 digits at most).
        return float(str(np.float32(x)))
    return float(x)


def enc_param(v):
    if isinstance(v, float) and not math.isfinite(v):
        return enc(v, torch.float64)
    return v


def tensor_json(t):
    t = t.detach()
    return {
        "shape": list(t.shape),
        "dtype": NAMES[t.dtype],
        "values": [enc(v, t.dtype) for v in t.reshape(-1).tolist()],
    }


CASES = []
IDS = set()


def case(cid, op, inputs, grad=True, **params):
    """Records one case. An input is a tensor, or a dict with the tensor under "t" and
    optionally "transpose": [d0, d1] (the op sees the leaf transposed: a non-contiguous
    operand) and "grad": False (no gradient wanted for it)."""
    assert cid not in IDS, cid
    IDS.add(cid)
    specs = [i if isinstance(i, dict) else {"t": i} for i in inputs]
    leaves, args, rows = [], [], []
    for s in specs:
        t = s["t"]
        rg = grad and t.dtype.is_floating_point and s.get("grad", True)
        leaf = t.detach().clone().requires_grad_(rg)
        leaves.append((leaf, rg))
        args.append(leaf.transpose(*s["transpose"]) if "transpose" in s else leaf)
        row = tensor_json(t)
        row["requires_grad"] = rg
        if "transpose" in s:
            row["transpose"] = s["transpose"]
        rows.append(row)
    out = OPS[op](args, params)
    outs = list(out) if isinstance(out, tuple) else [out]
    rec = {"id": cid, "op": op, "params": {k: enc_param(v) for k, v in params.items()}}
    rec["inputs"] = rows
    rec["outputs"] = [tensor_json(o) for o in outs]
    if grad and outs[0].requires_grad:
        w = q(torch.rand(outs[0].shape) + 0.5).to(outs[0].dtype)
        outs[0].backward(w)
        rec["grad_output"] = tensor_json(w)
        rec["grads"] = [
            (tensor_json(leaf.grad) if leaf.grad is not None else None) if rg else None
            for leaf, rg in leaves
        ]
    CASES.append(rec)


# ---------------------------------------------------------------------------------------
# The cases


def arithmetic():
    for op in ["add", "sub", "mul", "div"]:
        rhs = away if op == "div" else randn
        case(f"{op}/same_shape", op, [randn(2, 3), rhs(2, 3)])
        case(f"{op}/bcast_3x1_4", op, [randn(3, 1), rhs(4)])
        case(f"{op}/bcast_4_3x1", op, [randn(4), rhs(3, 1)])
        case(f"{op}/bcast_2x3_3", op, [randn(2, 3), rhs(3)])
        case(f"{op}/bcast_3_2x3", op, [randn(3), rhs(2, 3)])
        case(f"{op}/tensor_scalar_tensor", op, [randn(2, 3), rhs()])
        case(f"{op}/scalar_tensor_tensor", op, [randn(), rhs(2, 3)])
        case(f"{op}/float_scalar", op, [rhs(2, 3)], scalar=1.5)
        case(f"{op}/float_scalar_first", op, [rhs(2, 3)], scalar=-2.5, scalar_first=True)
        case(f"{op}/int_scalar", op, [rhs(2, 3)], scalar=3)
        case(f"{op}/transposed", op, [{"t": randn(3, 2), "transpose": [0, 1]}, rhs(2, 3)])
    # Type promotion and integer semantics (forward only).
    a, b = ints([1, -2, 7, 4]), ints([2, 3, -2, 4])
    case("promote/int_plus_float_scalar", "add", [a], grad=False, scalar=2.5)
    case("promote/int_plus_int_scalar", "add", [a], grad=False, scalar=2)
    case("promote/int_times_float_scalar", "mul", [a], grad=False, scalar=0.5)
    case("promote/int_div_int", "div", [a, b], grad=False)
    case("promote/int_div_int_scalar", "div", [a], grad=False, scalar=2)
    case("promote/int_plus_float_tensor", "add", [a, randn(4)], grad=False)
    case("promote/bool_plus_int_scalar", "add", [bools([True, False, True])], grad=False, scalar=1)
    case("promote/bool_plus_float_scalar", "add", [bools([True, False])], grad=False, scalar=0.5)
    case("promote/bool_plus_bool", "add", [bools([True, False, False]), bools([True, True, False])], grad=False)
    case("promote/bool_times_float_scalar", "mul", [bools([True, False])], grad=False, scalar=2.5)
    case("promote/int_sub_int", "sub", [a, b], grad=False)
    case("promote/int_mul_int", "mul", [a, b], grad=False)
    case("promote/f32_plus_f64_tensor", "add", [randn(3), randn(3).double()], grad=False)
    case("promote/int_plus_f32_zero_dim", "add", [a, randn()], grad=False)
    case("promote/f32_plus_f64_zero_dim", "add", [randn(3), randn().double()], grad=False)
    case("promote/f64_zero_dim_plus_f32", "add", [randn().double(), randn(3)], grad=False)
    case("promote/int_plus_int_zero_dim", "add", [a, ints(5)], grad=False)


def comparisons():
    x = f32([0.5, -1.0, 2.0, 2.0, float("nan"), 3.0])
    y = f32([0.5, 1.0, 1.0, 2.0, float("nan"), 4.0])
    for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
        case(f"cmp/{op}", op, [x, y], grad=False)
        case(f"cmp/{op}_float_scalar", op, [x], grad=False, scalar=2.0)
        case(f"cmp/{op}_int_float_scalar", op, [ints([1, 2, 3])], grad=False, scalar=1.5)
    case("cmp/eq_bcast", "eq", [ints([1, 2, 3], [3, 1]), ints([1, 2])], grad=False)
    case("cmp/lt_int_float", "lt", [ints([1, 2, 3]), f32([1.5, 2.0, 2.5])], grad=False)
    case("cmp/eq_f32_f64_zero_dim", "eq", [f32([0.1, 2.0]), torch.tensor(0.1, dtype=torch.float64)], grad=False)
    case("cmp/eq_argmax_accuracy", "eq", [ints([1, 0, 3, 3]), ints([1, 2, 3, 0])], grad=False)


def unary():
    case("neg/basic", "neg", [randn(2, 3)])
    case("exp/basic", "exp", [randn(2, 3)])
    case("exp/int", "exp", [ints([0, 1, 2])], grad=False)
    case("log/basic", "log", [pos(2, 3)])
    case("sqrt/basic", "sqrt", [pos(2, 3)])
    case("sqrt/int", "sqrt", [ints([1, 4, 9])], grad=False)
    case("abs/basic", "abs", [away(2, 3)])
    case("abs/at_zero", "abs", [f32([0.0, -1.0, 2.0])])
    case("abs/int", "abs", [ints([-3, 0, 2])], grad=False)
    case("relu/basic", "relu", [away(2, 3)])
    case("relu/at_zero", "relu", [f32([0.0, -1.0, 2.0])])
    case("relu/int", "relu", [ints([-3, 0, 2])], grad=False)
    case("sigmoid/basic", "sigmoid", [randn(2, 3)])
    case("sigmoid/saturating", "sigmoid", [f32([-100.0, -20.0, 20.0, 100.0])])
    case("tanh/basic", "tanh", [randn(2, 3)])
    case("tanh/transposed", "tanh", [{"t": randn(3, 2), "transpose": [0, 1]}])
    for e in [2, 3, 0.5, -1, 2.0, 0, -2.5]:
        base = pos(2, 3) if (e != int(e) or e < 0) else randn(2, 3)
        case(f"pow/scalar_{e}", "pow", [base], exponent=e)
    case("pow/int_base_int_exponent", "pow", [ints([1, -2, 3])], grad=False, exponent=2)
    case("pow/int_base_float_exponent", "pow", [ints([1, 4, 9])], grad=False, exponent=0.5)
    case("pow/tensor", "pow", [pos(2, 3), randn(2, 3)])
    case("pow/tensor_bcast", "pow", [pos(2, 3), randn(3)])
    case("pow/tensor_zero_base", "pow", [f32([0.0, 0.0, 2.0, 0.0]), f32([2.0, 0.5, 0.0, 0.0])])


def binary_extremes():
    case("maximum/basic", "maximum", [distinct(2, 3), distinct(2, 3) + 0.125])
    case("minimum/basic", "minimum", [distinct(2, 3), distinct(2, 3) + 0.125])
    case("maximum/bcast", "maximum", [randn(3, 1), randn(4)])
    case("minimum/bcast", "minimum", [randn(3, 1), randn(4)])
    x, y = f32([1.0, 2.0, 3.0, -0.5]), f32([1.0, 0.5, 3.0, 0.25])
    case("maximum/ties", "maximum", [x, y])
    case("minimum/ties", "minimum", [x, y])
    nan = float("nan")
    case("maximum/nan", "maximum", [f32([nan, 1.0, 2.0]), f32([0.0, nan, 1.0])], grad=False)
    case("minimum/nan", "minimum", [f32([nan, 1.0, 2.0]), f32([0.0, nan, 1.0])], grad=False)
    case("maximum/int", "maximum", [ints([1, 5, -2]), ints([3, 0, -2])], grad=False)


def clamps():
    x = f32([-2.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 3.0])
    case("clamp/basic", "clamp", [x], min=-0.5, max=0.5)
    case("clamp/equal_bounds", "clamp", [x], min=0.25, max=0.25)
    case("clamp_min/basic", "clamp_min", [x], min=-0.25)
    case("clamp_max/basic", "clamp_max", [x], max=0.25)
    case("clamp/nan", "clamp", [f32([float("nan"), 5.0])], grad=False, min=0.0, max=1.0)
    case("clamp/int", "clamp", [ints([-5, 0, 3, 9])], grad=False, min=-1, max=4)
    case("clamp/int_float_bounds", "clamp", [ints([-5, 0, 3, 9])], grad=False, min=-1.5, max=2.5)
    case("clamp_min/int_float_bound", "clamp_min", [ints([1, 2, 3])], grad=False, min=1.5)
    case("clamp/transposed", "clamp", [{"t": randn(3, 2), "transpose": [0, 1]}], min=-0.3, max=0.6)


def where_fill():
    cond = bools([True, False, True, False, False, True], [2, 3])
    case("where/basic", "where", [cond, randn(2, 3), randn(2, 3)])
    case("where/bcast_y", "where", [cond, randn(2, 3), randn(3)])
    case("where/zero_dim_x", "where", [cond, randn(), randn(2, 3)])
    case("where/bcast_cond", "where", [bools([True, False, True]), randn(2, 3), randn(2, 1)])
    case("where/cond_larger", "where", [bools([False, True], [2, 1, 1]), randn(3), randn(2, 1)])
    case("where/f64_zero_dim_y", "where", [cond, randn(2, 3), randn().double()])
    case("where/int", "where", [cond, ints([1, 2, 3]), ints([[-1], [-2]])], grad=False)
    case("masked_fill/basic", "masked_fill", [randn(2, 3), cond], value=-1.5)
    case("masked_fill/bcast_mask", "masked_fill", [randn(2, 3), bools([False, True, False])], value=7.0)
    case("masked_fill/neg_inf", "masked_fill", [randn(2, 3), cond], value=float("-inf"))


def reductions():
    x = randn(2, 3, 4)
    case("sum/all", "sum", [x])
    case("sum/transposed", "sum", [{"t": randn(3, 2), "transpose": [0, 1]}])
    for dims in [[0], [1], [-1], [0, 2], [-1, -3], [0, 1, 2]]:
        for keepdim in [False, True]:
            tag = "_".join(str(d) for d in dims)
            case(f"sum_dim/{tag}_keep{int(keepdim)}", "sum_dim", [x], dims=dims, keepdim=keepdim)
            case(f"mean_dim/{tag}_keep{int(keepdim)}", "mean_dim", [x], dims=dims, keepdim=keepdim)
    case("sum_dim/transposed", "sum_dim", [{"t": randn(3, 2), "transpose": [0, 1]}], dims=[1], keepdim=False)
    case("mean/all", "mean", [x])
    case("mean/scalar", "mean", [randn()])
    case("sum/bool", "sum", [bools([True, False, True, True])], grad=False)
    case("sum_dim/bool", "sum_dim", [bools([True, False, True, True], [2, 2])], grad=False, dims=[1], keepdim=False)
    case("sum/int", "sum", [ints([1, 2, -7])], grad=False)
    case("sum_dim/int_keepdim", "sum_dim", [ints([1, 2, 3, 4, 5, 6], [2, 3])], grad=False, dims=[0], keepdim=True)


def extremes():
    d = distinct(3, 4)
    case("max/all", "max", [d])
    case("min/all", "min", [d])
    ties = f32([1.0, 3.0, 3.0, -2.0, 0.5, 3.0], [2, 3])
    case("max/all_ties", "max", [ties])
    case("min/all_ties", "min", [f32([1.0, -2.0, 3.0, -2.0])])
    case("max/int", "max", [ints([1, 9, 3])], grad=False)
    case("max_dim/int", "max_dim", [ints([1, 5, 7, 2], [2, 2])], grad=False, dim=1, keepdim=True)
    case("max/nan", "max", [f32([1.0, float("nan"), 3.0])], grad=False)
    d3 = distinct(3, 4, 2)
    for dim in [0, 1, -1]:
        for keepdim in [False, True]:
            case(f"max_dim/{dim}_keep{int(keepdim)}", "max_dim", [d3], dim=dim, keepdim=keepdim)
            case(f"min_dim/{dim}_keep{int(keepdim)}", "min_dim", [d3], dim=dim, keepdim=keepdim)
    tie_rows = f32([2.0, 5.0, 5.0, 1.0, 1.0, 0.0, -3.0, 7.0, 7.0], [3, 3])
    case("max_dim/ties_first_index", "max_dim", [tie_rows], dim=1, keepdim=False)
    case("min_dim/ties_first_index", "min_dim", [tie_rows], dim=1, keepdim=False)
    case("max_dim/ties_dim0", "max_dim", [tie_rows], dim=0, keepdim=True)
    case("max_dim/transposed", "max_dim", [{"t": distinct(4, 3), "transpose": [0, 1]}], dim=1, keepdim=False)
    case("argmax/basic", "argmax", [distinct(3, 4)], grad=False)
    case("argmin/basic", "argmin", [distinct(3, 4)], grad=False)
    case("argmax/ties_first", "argmax", [f32([1.0, 7.0, 3.0, 7.0, 7.0])], grad=False)
    case("argmin/ties_first", "argmin", [f32([4.0, 0.0, 3.0, 0.0])], grad=False)
    case("argmax/all_equal", "argmax", [f32([2.0, 2.0, 2.0], [3, 1])], grad=False)
    case("argmax/nan", "argmax", [f32([1.0, float("nan"), 3.0])], grad=False)
    case("argmax/int", "argmax", [ints([3, 1, 4, 1, 5, 9, 2, 6], [2, 4])], grad=False)
    for dim in [0, 1, -1]:
        for keepdim in [False, True]:
            case(f"argmax_dim/{dim}_keep{int(keepdim)}", "argmax_dim", [tie_rows], grad=False, dim=dim, keepdim=keepdim)
    case("argmin_dim/ties", "argmin_dim", [tie_rows], grad=False, dim=1, keepdim=False)


def logsumexps():
    x = randn(2, 3, 4)
    for dims in [[0], [-1], [1, 2], [0, 1, 2]]:
        for keepdim in [False, True]:
            tag = "_".join(str(d) for d in dims)
            case(f"logsumexp/{tag}_keep{int(keepdim)}", "logsumexp", [x], dims=dims, keepdim=keepdim)
    big = f32([1000.0, 1000.5, 999.0, -1000.0, -1001.0, -999.5], [2, 3])
    case("logsumexp/large", "logsumexp", [big], dims=[1], keepdim=False)
    inf = float("inf")
    some = f32([-inf, 0.0, 1.0, -inf, -inf, 2.0], [2, 3])
    case("logsumexp/some_neg_inf", "logsumexp", [some], dims=[1], keepdim=False)
    allneg = f32([-inf, -inf, -inf, 0.0, 1.0, 2.0], [2, 3])
    case("logsumexp/row_all_neg_inf", "logsumexp", [allneg], grad=False, dims=[1], keepdim=False)
    case("logsumexp/pos_inf", "logsumexp", [f32([inf, 0.0, 1.0, 2.0], [2, 2])], grad=False, dims=[1], keepdim=True)
    case("logsumexp/int", "logsumexp", [ints([0, 1, 2])], grad=False, dims=[0], keepdim=False)


def matmuls():
    shapes = [
        ("1d_1d", [4], [4]),
        ("2d_1d", [3, 4], [4]),
        ("1d_2d", [4], [4, 2]),
        ("2d_2d", [3, 4], [4, 2]),
        ("3d_3d", [2, 3, 4], [2, 4, 2]),
        ("3d_2d", [2, 3, 4], [4, 2]),
        ("2d_3d", [3, 4], [2, 4, 2]),
        ("3d_1d", [2, 3, 4], [4]),
        ("1d_3d", [4], [2, 4, 2]),
        ("bcast_2x1x3x4_5x4x2", [2, 1, 3, 4], [5, 4, 2]),
        ("bcast_1x3x4_2x4x2", [1, 3, 4], [2, 4, 2]),
        ("bcast_3x1x2x3x4_2x4x2", [3, 1, 2, 3, 4], [2, 4, 2]),
    ]
    for tag, sa, sb in shapes:
        case(f"matmul/{tag}", "matmul", [randn(*sa), randn(*sb)])
    case("matmul/transposed_both", "matmul", [{"t": randn(4, 3), "transpose": [0, 1]}, {"t": randn(2, 4), "transpose": [0, 1]}])
    case("matmul/batched_transposed", "matmul", [{"t": randn(2, 4, 3), "transpose": [1, 2]}, randn(4, 2)])
    case("matmul/permuted_batch", "matmul", [{"t": randn(3, 2, 3, 4), "transpose": [0, 1]}, randn(4, 2)])
    case("matmul/int", "matmul", [ints([1, 2, 3, 4], [2, 2]), ints([1, -1, 0, 2], [2, 2])], grad=False)
    case("mm/basic", "mm", [randn(3, 4), randn(4, 2)])
    case("mm/transposed", "mm", [{"t": randn(4, 3), "transpose": [0, 1]}, randn(4, 2)])


def indexing():
    x = randn(3, 4)
    case("gather/dim1", "gather", [x, ints([1, 0, 3, 3, 2, 1], [3, 2])], dim=1)
    case("gather/dim0", "gather", [x, ints([2, 0, 1, 1, 0, 0, 2, 2], [2, 4])], dim=0)
    case("gather/neg_dim_smaller_index", "gather", [x, ints([0, 2, 2, 1], [2, 2])], dim=-1)
    case("gather/transposed", "gather", [{"t": randn(4, 3), "transpose": [0, 1]}, ints([3, 3, 0, 1], [2, 2])], dim=1)
    case("index_select/dim0", "index_select", [randn(4, 3), ints([3, 0, 3, 1])], dim=0)
    case("index_select/dim1", "index_select", [randn(4, 3), ints([2, 2, 0])], dim=1)
    case("index_select/zero_dim_index", "index_select", [randn(2, 3), ints(1)], dim=0)
    case("index_select/dim_neg", "index_select", [randn(2, 3, 2), ints([1, 0])], dim=-2)
    case("index/arange_target", "index", [randn(4, 3), ints([0, 1, 2, 3]), ints([2, 0, 1, 2])])
    case("index/negative", "index", [randn(4, 3), ints([0, 1, 2, 3]), ints([-1, 0, -3, -1])])
    case("index/one_tensor_repeats", "index", [randn(4, 3), ints([3, -4, 1, 3])])
    case("index/bcast", "index", [randn(4, 3), ints([0, 3], [2, 1]), ints([1, 2, 0])])
    case("index/trailing_dims", "index", [randn(3, 2, 4), ints([2, 0, 2]), ints([1, 1, 0])])
    case("cat/dim0", "cat", [randn(2, 3), randn(1, 3), randn(3, 3)], dim=0)
    case("cat/dim_neg", "cat", [randn(2, 3), randn(2, 2)], dim=-1)
    case("cat/int", "cat", [ints([1, 2]), ints([3])], grad=False, dim=0)
    for dim in [0, 1, 2, -1]:
        case(f"stack/dim{dim}", "stack", [randn(2, 3), randn(2, 3)], dim=dim)


def views():
    x = randn(2, 3, 4)
    tx = {"t": randn(4, 3, 2), "transpose": [0, 2]}  # a non-contiguous [2, 3, 4]
    case("view/basic", "view", [x], shape=[6, -1])
    case("view/flat", "view", [x], shape=[-1])
    case("reshape/basic", "reshape", [x], shape=[4, 6])
    case("reshape/non_contiguous", "reshape", [tx], shape=[-1, 3])
    case("reshape/non_contiguous_flat", "reshape", [tx], shape=[24])
    case("transpose/basic", "transpose", [x], dim0=0, dim1=2)
    case("transpose/neg", "transpose", [x], dim0=-1, dim1=-2)
    case("permute/basic", "permute", [x], dims=[1, 2, 0])
    case("permute/neg", "permute", [x], dims=[-1, 0, -2])
    case("t/basic", "t", [randn(3, 2)])
    case("t/1d", "t", [randn(3)])
    case("narrow/basic", "narrow", [x], dim=2, start=1, length=2)
    case("narrow/neg_dim", "narrow", [x], dim=-2, start=0, length=2)
    case("narrow/transposed", "narrow", [tx], dim=0, start=1, length=1)
    case("slice/from", "slice", [x], dim=1, start=1, end=None)
    case("slice/to", "slice", [x], dim=-1, start=None, end=3)
    case("slice/clipped", "slice", [x], dim=2, start=2, end=10)
    case("select/basic", "select", [x], dim=1, index=2)
    case("select/neg_index", "select", [x], dim=2, index=-1)
    case("select/neg_dim", "select", [x], dim=-3, index=-2)
    case("unsqueeze/basic", "unsqueeze", [x], dim=1)
    case("unsqueeze/neg", "unsqueeze", [x], dim=-1)
    case("squeeze/all", "squeeze", [randn(1, 3, 1, 2)])
    case("squeeze_dim/basic", "squeeze_dim", [randn(3, 1, 2)], dim=1)
    case("squeeze_dim/neg", "squeeze_dim", [randn(3, 2, 1)], dim=-1)
    case("squeeze_dim/noop", "squeeze_dim", [randn(3, 2)], dim=0)
    case("expand/basic", "expand", [randn(2, 1, 4)], sizes=[2, 5, 4])
    case("expand/new_dims", "expand", [randn(3, 1)], sizes=[2, 3, 4])
    case("expand/minus_one", "expand", [randn(2, 3, 1)], sizes=[-1, -1, 6])
    case("expand_as/basic", "expand_as", [randn(1, 4), {"t": randn(3, 4), "grad": False}])
    case("flatten/all", "flatten", [x], start_dim=0, end_dim=-1)
    case("flatten/trailing", "flatten", [x], start_dim=1, end_dim=-1)
    case("flatten/transposed", "flatten", [tx], start_dim=1, end_dim=2)
    case("contiguous/transposed", "contiguous", [tx])
    case("contiguous/noop", "contiguous", [x])
    case("clone/basic", "clone", [x])
    case("clone/transposed", "clone", [tx])
    case("to_dtype/f32_f64_f32", "to_dtype", [randn(2, 3)], dtypes=["float64", "float32"])
    case("to_dtype/f32_to_int", "to_dtype", [f32([1.7, -1.7, 2.5, -0.5])], grad=False, dtypes=["int64"])
    case("to_dtype/int_to_f32", "to_dtype", [ints([1, -3])], grad=False, dtypes=["float32"])
    case("to_dtype/bool_to_f32", "to_dtype", [bools([True, False])], grad=False, dtypes=["float32"])
    case("to_dtype/f32_to_bool", "to_dtype", [f32([0.0, -0.5, 2.0])], grad=False, dtypes=["bool"])


def composite():
    case("log_softmax_nll/basic", "log_softmax_nll", [randn(6, 5) * 2, ints([2, 0, 4, 4, 1, 3])])


def main():
    torch.manual_seed(0)
    arithmetic()
    comparisons()
    unary()
    binary_extremes()
    clamps()
    where_fill()
    reductions()
    extremes()
    logsumexps()
    matmuls()
    indexing()
    views()
    composite()
    doc = {
        "generated_by": "tools/make_torch_fixtures.py",
        "torch_version": torch.__version__,
        "cases": CASES,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    # One case per line, so that a regenerated file diffs case by case.
    dump = lambda v: json.dumps(v, separators=(",", ":"), allow_nan=False)
    head = {k: v for k, v in doc.items() if k != "cases"}
    with open(OUT, "w") as f:
        f.write(dump(head)[:-1] + ',"cases":[\n')
        f.write(",\n".join(dump(c) for c in CASES))
        f.write("\n]}\n")
    print(f"wrote {len(CASES)} cases to {os.path.normpath(OUT)} (torch {torch.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
