"""PyTorch's side of `cargo bench --bench ops`: the same ops, the same timing method.

Run: python3 tools/bench_ops_torch.py   (needs `pip install torch`; CI never runs it)
Compare the two outputs from one session, as ratios: machines are noisy.
"""
import math
import time

import torch


def time_us(rounds, iters, f):
    for _ in range(iters // 10 + 1):
        f()
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(iters):
            f()
        samples.append((time.perf_counter() - t) * 1e6 / iters)
    samples.sort()
    return samples[rounds // 2]


def main():
    torch.manual_seed(0)
    a = torch.randn(10, requires_grad=True)
    b = torch.randn(10, requires_grad=True)
    xb = torch.rand(64, 784)
    w = (torch.randn(784, 10) / math.sqrt(784)).requires_grad_()
    bias = torch.zeros(10, requires_grad=True)

    def fwd_bwd():
        loss = (xb @ w + bias).mean()
        loss.backward()

    results = [("add (10,)+(10,) with autograd", time_us(15, 20000, lambda: a + b))]
    with torch.no_grad():
        results.append(("add (10,)+(10,) under no_grad", time_us(15, 20000, lambda: a + b)))
    results.append(("linear xb.matmul(&w) + &b (64,784)x(784,10)", time_us(15, 2000, lambda: xb @ w + bias)))
    results.append(("linear forward+backward (64,784)x(784,10), mean", time_us(15, 1000, fwd_bwd)))
    print(f"torch {torch.__version__}, threads: {torch.get_num_threads()}")
    for name, us in results:
        print(f"{us:>10.3f} us/call  {name}")


if __name__ == "__main__":
    main()
