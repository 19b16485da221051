"""Reference values for firelight's nn layers (tests/nn_layers_parity.rs).

Run from the repository root: python3 tools/make_torch_fixtures_nn.py
Writes tests/fixtures/torch_nn.json. Inputs are multiples of 1/64 so Rust rebuilds them exactly.
"""
import json

import torch


def q(t):
    return (t * 64).round() / 64


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def batchnorm_case(name, cls, shape, momentum=0.1):
    torch.manual_seed(0)
    c = shape[1]
    bn = cls(c, momentum=momentum)
    with torch.no_grad():
        bn.weight.copy_(q(torch.rand(c) + 0.5))
        bn.bias.copy_(q(torch.randn(c)))
    x1 = q(torch.randn(*shape) * 2 + 1).requires_grad_()
    x2 = q(torch.randn(*shape))
    w = q(torch.rand(*shape))
    y1 = bn(x1)
    (y1 * w).sum().backward()
    bn(x2)
    bn.eval()
    y_eval = bn(x2)
    return {
        "name": name,
        "shape": list(shape),
        "momentum": momentum,
        "weight": flat(bn.weight),
        "bias": flat(bn.bias),
        "x1": flat(x1),
        "x2": flat(x2),
        "w": flat(w),
        "y1": flat(y1),
        "grad_x1": flat(x1.grad),
        "grad_weight": flat(bn.weight.grad),
        "grad_bias": flat(bn.bias.grad),
        "running_mean": flat(bn.running_mean),
        "running_var": flat(bn.running_var),
        "y_eval": flat(y_eval),
    }


def main():
    cases = [
        batchnorm_case("bn2d", torch.nn.BatchNorm2d, (4, 3, 2, 2)),
        batchnorm_case("bn1d", torch.nn.BatchNorm1d, (6, 3)),
        batchnorm_case("bn1d_3d", torch.nn.BatchNorm1d, (2, 3, 4), momentum=0.3),
    ]
    with open("tests/fixtures/torch_nn.json", "w") as f:
        json.dump({"torch": torch.__version__, "batchnorm": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
