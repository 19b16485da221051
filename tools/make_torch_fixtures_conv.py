#!/usr/bin/env python3
"""Writes tests/fixtures/torch_conv.json: what PyTorch computes for conv2d and pooling.

Each case records the op, its options, the float32 inputs, a fixed upstream gradient,
the output and the gradient of every input (`out.backward(grad_output)`).
tests/nn_conv_parity.rs replays them; it reads only the JSON (CI never runs Python).

Run from the repository root:  python3 tools/make_torch_fixtures_conv.py

Inputs are rounded to multiples of 1/1024 (exact in float32, short in decimal); max
pooling inputs are distinct, so no window has a tie.
"""
import json
import os

import numpy as np  # noqa: F401 (float32 printing)
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch_conv.json")


def q(t):
    return torch.round(t * 1024) / 1024


def randn(*shape):
    return q(torch.randn(shape))


def distinct(*shape):
    n = 1
    for s in shape:
        n *= s
    return (torch.randperm(n).float() / 16 - n / 32).reshape(shape)


def values(t):
    """The shortest decimals that round-trip float32."""
    return [float(str(v)) for v in t.detach().reshape(-1).numpy()]


def tensor(t):
    return {"shape": list(t.shape), "values": values(t)}


def case(name, op, params, inputs, fn):
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    out = fn(**leaves)
    g = randn(*out.shape)
    out.backward(g)
    return {
        "name": name,
        "op": op,
        "params": params,
        "inputs": {k: tensor(v) for k, v in inputs.items()},
        "grad_output": tensor(g),
        "output": tensor(out),
        "grads": {k: tensor(v.grad) for k, v in leaves.items()},
    }


def conv(name, x, w, bias, stride=1, padding=0, dilation=1, groups=1):
    pair = lambda v: list(v) if isinstance(v, tuple) else [v, v]
    params = {"stride": pair(stride), "padding": pair(padding), "dilation": pair(dilation), "groups": groups}
    inputs = {"x": randn(*x), "w": randn(*w)}
    if bias:
        inputs["b"] = randn(w[0])
    fn = lambda x, w, b=None: F.conv2d(x, w, b, stride, padding, dilation, groups)
    return case(name, "conv2d", params, inputs, fn)


def main():
    torch.manual_seed(0)
    pair = lambda v: list(v) if isinstance(v, tuple) else [v, v]
    cases = [
        conv("conv default", (2, 3, 5, 5), (4, 3, 3, 3), True),
        conv("conv stride 2 padding 1", (2, 2, 6, 5), (3, 2, 3, 3), True, 2, 1),
        conv("conv dilation non-square", (1, 2, 6, 7), (3, 2, 2, 3), True, (1, 2), (2, 1), (2, 1)),
        conv("conv groups no bias", (2, 4, 4, 5), (6, 2, 3, 3), False, 1, 1, 1, 2),
        conv("conv 1x1", (2, 3, 3, 4), (2, 3, 1, 1), True),
        conv("conv 3-D input", (3, 5, 4), (2, 3, 2, 2), True),
    ]
    # The tutorial CNN on a batch of 2: 28 -> 14 -> 7 -> 4, then avg_pool2d(4).
    x = randn(2, 1, 28, 28)
    ws = [q(torch.randn(16, 1, 3, 3) / 3), q(torch.randn(16, 16, 3, 3) / 12), q(torch.randn(10, 16, 3, 3) / 12)]
    bs = [q(torch.randn(16) / 10), q(torch.randn(16) / 10), q(torch.randn(10) / 10)]

    def cnn(x, w1, b1, w2, b2, w3, b3):
        h = F.relu(F.conv2d(x, w1, b1, 2, 1))
        h = F.relu(F.conv2d(h, w2, b2, 2, 1))
        h = F.relu(F.conv2d(h, w3, b3, 2, 1))
        return F.avg_pool2d(h, 4).view(-1, 10)

    ins = {"x": x, "w1": ws[0], "b1": bs[0], "w2": ws[1], "b2": bs[1], "w3": ws[2], "b3": bs[2]}
    cases.append(case("tutorial cnn", "cnn", {}, ins, cnn))

    avg = [
        ("avg k2", dict(kernel_size=2)),
        ("avg k3 s1 p1", dict(kernel_size=3, stride=1, padding=1)),
        ("avg k3 s2 p1 exclude pad", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
        ("avg ceil", dict(kernel_size=2, ceil_mode=True)),
        ("avg non-square ceil pad", dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True)),
        ("avg 3-D input", dict(kernel_size=2)),
    ]
    for name, kw in avg:
        shape = (2, 5, 6) if "3-D" in name else (2, 2, 5, 6)
        params = {
            "kernel_size": pair(kw["kernel_size"]),
            "stride": pair(kw.get("stride", kw["kernel_size"])),
            "padding": pair(kw.get("padding", 0)),
            "ceil_mode": kw.get("ceil_mode", False),
            "count_include_pad": kw.get("count_include_pad", True),
        }
        cases.append(case(name, "avg_pool2d", params, {"x": randn(*shape)}, lambda x, kw=kw: F.avg_pool2d(x, **kw)))
    mx = [
        ("max k2", dict(kernel_size=2)),
        ("max k3 s1 p1", dict(kernel_size=3, stride=1, padding=1)),
        ("max dilation", dict(kernel_size=2, stride=1, dilation=2)),
        ("max ceil", dict(kernel_size=2, ceil_mode=True)),
        ("max non-square", dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True)),
    ]
    for name, kw in mx:
        params = {
            "kernel_size": pair(kw["kernel_size"]),
            "stride": pair(kw.get("stride", kw["kernel_size"])),
            "padding": pair(kw.get("padding", 0)),
            "dilation": pair(kw.get("dilation", 1)),
            "ceil_mode": kw.get("ceil_mode", False),
        }
        cases.append(case(name, "max_pool2d", params, {"x": distinct(2, 2, 5, 6)}, lambda x, kw=kw: F.max_pool2d(x, **kw)))
    for size in [(1, 1), (2, 3), (3, 4), (4, 6), (7, 5)]:
        cases.append(case(f"adaptive {size}", "adaptive_avg_pool2d", {"output_size": list(size)},
                          {"x": randn(2, 2, 5, 6)}, lambda x, size=size: F.adaptive_avg_pool2d(x, size)))
    # divisor_override, added after the cases above so their random inputs stay as they were.
    over = [
        ("avg k2 divisor 1", dict(kernel_size=2, divisor_override=1)),
        ("avg k3 s1 p1 divisor 5", dict(kernel_size=3, stride=1, padding=1, divisor_override=5)),
        ("avg ceil exclude pad divisor 3",
         dict(kernel_size=(3, 2), stride=2, padding=1, ceil_mode=True, count_include_pad=False, divisor_override=3)),
    ]
    for name, kw in over:
        params = {
            "kernel_size": pair(kw["kernel_size"]),
            "stride": pair(kw.get("stride", kw["kernel_size"])),
            "padding": pair(kw.get("padding", 0)),
            "ceil_mode": kw.get("ceil_mode", False),
            "count_include_pad": kw.get("count_include_pad", True),
            "divisor_override": kw["divisor_override"],
        }
        cases.append(case(name, "avg_pool2d", params, {"x": randn(2, 2, 5, 6)}, lambda x, kw=kw: F.avg_pool2d(x, **kw)))
    with open(OUT, "w") as f:
        json.dump({"torch_version": torch.__version__, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
