"""Writes tests/fixtures/display/expected.txt: what PyTorch prints for the tensors that
tests/display.rs and tests/display_options.rs build.

Run from the repository root with PyTorch installed:
    python tools/make_display_fixtures.py

Each case is a name and a function building the tensor; tests/display*.rs build the same
tensor (f32 values are written as f64 literals there and cast, as torch.tensor does) and
compare `format!("{t}")` with the text under `=== name`.
"""

import math
import os

import torch

f32, f64 = torch.float32, torch.float64
nan, inf = math.nan, math.inf


def grad_leaf(values, dtype=f32):
    return torch.tensor(values, dtype=dtype, requires_grad=True)


def hidden_big():
    # The formatter sees only the shown elements: the hidden 1e10 does not force
    # scientific notation.
    t = torch.full((2000,), 1.5)
    t[1000] = 1e10
    return t


# Printed with PyTorch's default options.
CASES = {
    "scalar_f32": lambda: torch.tensor(2.3026),
    "scalar_neg_grad": lambda: -grad_leaf(-2.3026),
    "scalar_i64": lambda: torch.tensor(5),
    "scalar_int_valued": lambda: torch.tensor(3.0),
    "scalar_f64": lambda: torch.tensor(0.1, dtype=f64),
    "scalar_nan": lambda: torch.tensor(nan),
    "scalar_bool": lambda: torch.tensor(False),
    "select_grad": lambda: grad_leaf([[-2.0842, -2.4712, -2.2010], [0.5, 1.0, 1.5]])[0],
    "small_1d": lambda: torch.tensor([0.1, 0.25, 3.0]),
    "int_valued": lambda: torch.tensor([1.0, 2.0, -3.0, 100.0]),
    "sci_mixed": lambda: torch.tensor([1e-5, 1.0, 100.0]),
    "sci_big": lambda: torch.tensor([1.2345678e8, 1.0]),
    "sci_small_min": lambda: torch.tensor([5e-5, 6e-5]),
    "sci_int_valued_big": lambda: torch.tensor([1e9, 1.0]),
    "sci_int_valued_ratio": lambda: torch.tensor([1.0, 5000.0]),
    "fixed_ratio_under_1000": lambda: torch.tensor([0.5, 400.25]),
    "negatives": lambda: torch.tensor([-1.5, 0.25, -100.125]),
    "nonfinite": lambda: torch.tensor([1.5, nan, inf, -inf]),
    "nonfinite_int_valued": lambda: torch.tensor([1.0, nan, -inf]),
    "zeros_and_nan": lambda: torch.tensor([0.0, nan, 0.0]),
    "signed_zeros": lambda: torch.tensor([0.0, -0.0]),
    "sci_with_nan": lambda: torch.tensor([1e-6, nan, 1.0]),
    "matrix": lambda: torch.tensor([[1.0, 2.0], [3.0, 4.0]]),
    "matrix_fractions": lambda: torch.arange(12, dtype=f32).view(3, 4) / 3,
    "cube_i64": lambda: torch.arange(24).view(2, 3, 4),
    "four_dims": lambda: torch.arange(16, dtype=f32).view(2, 2, 2, 2) / 2,
    "large_1d_zeros": lambda: torch.zeros(2000),
    "large_1d_i64": lambda: torch.arange(5000),
    "large_1d_hidden_big": hidden_big,
    "large_2d_zeros": lambda: torch.zeros(50000, 784),
    "large_2d_i64": lambda: torch.arange(100000).view(1000, 100),
    "large_3d": lambda: torch.arange(6000, dtype=f32).view(10, 20, 30) / 7,
    "large_transposed": lambda: torch.arange(100000).view(100, 1000).t(),
    "large_columns_only": lambda: torch.arange(5000, dtype=f32).view(2, 2500),
    "i64": lambda: torch.tensor([1, -20, 300]),
    "u8": lambda: torch.tensor([0, 255, 7], dtype=torch.uint8),
    "u8_matrix": lambda: torch.tensor([[1, 22], [133, 4]], dtype=torch.uint8),
    "bool": lambda: torch.tensor([True, False, True]),
    "bool_all_true": lambda: torch.tensor([True, True]),
    "bool_matrix": lambda: torch.tensor([[True, False], [False, True]]),
    "f64": lambda: torch.tensor([1.5, 2.25], dtype=f64),
    "f64_int_valued": lambda: torch.tensor([1.0, 2.0], dtype=f64),
    "leaf_requires_grad": lambda: grad_leaf([1.0, 2.0]),
    "grad_mul": lambda: grad_leaf([0.5, -1.5, 2.0]) * 2.0,
    "grad_sum": lambda: grad_leaf([0.5, -1.5, 2.0]).sum(),
    "grad_mean_f64": lambda: grad_leaf([0.5, -1.5, 2.0], f64).mean(),
    "suffix_wraps": lambda: grad_leaf([0.1 * k for k in range(1, 9)], f64),
    "suffix_wraps_after_rows": lambda: grad_leaf([[0.1 * k for k in range(1, 9)]] * 2, f64) * 3,
    "empty_1d": lambda: torch.zeros(0),
    "empty_2d": lambda: torch.zeros(0, 3),
    "empty_i64": lambda: torch.arange(0),
    "empty_bool": lambda: torch.zeros(0, dtype=torch.bool),
    "empty_3d_f64": lambda: torch.zeros(2, 0, 3, dtype=f64),
    "empty_requires_grad": lambda: torch.zeros(0, 2, requires_grad=True),
    "wrap_1d": lambda: torch.arange(30, dtype=f32) / 3,
    "wrap_i64": lambda: torch.arange(40) * 1001,
    "wrap_2d": lambda: torch.arange(60, dtype=f32).view(3, 20) / 7,
    "wrap_3d_bool": lambda: torch.arange(72).view(2, 2, 18) % 3 == 0,
    "transposed": lambda: torch.arange(6).view(2, 3).t(),
    "expanded": lambda: torch.tensor([1.0, 2.0]).expand(3, 2),
    "sliced": lambda: torch.arange(10, dtype=f32)[2:5] / 4,
}

# Printed under other options; each set_printoptions call starts from the defaults.
OPTION_CASES = {
    "opt_precision_2": (dict(precision=2), lambda: torch.tensor([1.125, 2.5, 3.14159])),
    "opt_precision_0": (dict(precision=0), lambda: torch.tensor([1.5, 2.25, 10.0])),
    "opt_precision_6_sci": (dict(precision=6), lambda: torch.tensor([1e-5, 1.0])),
    "opt_threshold_5": (dict(threshold=5), lambda: torch.arange(10)),
    "opt_edgeitems_1": (dict(threshold=5, edgeitems=1), lambda: torch.arange(12).view(3, 4)),
    "opt_edgeitems_0_summarized": (dict(threshold=5, edgeitems=0), lambda: torch.arange(10)),
    "opt_edgeitems_0_matrix": (dict(threshold=5, edgeitems=0), lambda: torch.zeros(4, 4, dtype=f64)),
    "opt_edgeitems_0_small": (dict(edgeitems=0), lambda: torch.arange(3)),
    "opt_edgeitems_0_scalar": (dict(edgeitems=0), lambda: torch.tensor(1.5)),
    "opt_linewidth_40": (dict(linewidth=40), lambda: torch.arange(20, dtype=f32) / 3),
    "opt_linewidth_10_matrix": (dict(linewidth=10), lambda: torch.arange(6).view(2, 3)),
    "opt_sci_true": (dict(sci_mode=True), lambda: torch.tensor([1.5, 2.5])),
    "opt_sci_true_int_valued": (dict(sci_mode=True), lambda: torch.tensor([1.0, 20.0])),
    "opt_sci_true_zeros": (dict(sci_mode=True), lambda: torch.tensor([0.0, 0.0])),
    "opt_sci_false": (dict(sci_mode=False), lambda: torch.tensor([1e-5, 1.0])),
    "opt_sci_false_int_valued": (dict(sci_mode=False), lambda: torch.tensor([1e9, 1.0])),
    "opt_threshold_at_limit": (dict(threshold=10), lambda: torch.arange(10)),
    "opt_threshold_over_limit": (dict(threshold=10), lambda: torch.arange(11)),
    "opt_threshold_raised": (dict(threshold=2000), lambda: torch.arange(1001, dtype=torch.uint8)),
}


def main():
    out = [
        f"# What PyTorch {torch.__version__.split('+')[0]} prints; written by "
        "tools/make_display_fixtures.py, do not edit.",
    ]
    for name, build in CASES.items():
        torch.set_printoptions(profile="default")
        out += [f"=== {name}", repr(build())]
    for name, (opts, build) in OPTION_CASES.items():
        torch.set_printoptions(profile="default")
        torch.set_printoptions(**opts)
        out += [f"=== {name}", repr(build())]
    torch.set_printoptions(profile="default")
    path = os.path.join("tests", "fixtures", "display", "expected.txt")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {len(CASES) + len(OPTION_CASES)} cases to {path}")


if __name__ == "__main__":
    main()
