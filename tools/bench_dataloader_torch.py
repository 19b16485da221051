"""PyTorch's side of `cargo bench --bench dataloader`: one epoch of
DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True), no model.

Run: python3 tools/bench_dataloader_torch.py [MNIST_DIR]   (needs torch; CI never runs it)
MNIST_DIR holds mnist.pkl.gz (default: $FIRELIGHT_DATA, else data/mnist); without it,
random tensors of the same shapes stand in. Compare with the Rust figures from one
session, as ratios: machines are noisy.
"""
import gzip
import os
import pickle
import sys
import time

import torch
from torch.utils.data import DataLoader, TensorDataset


def time_ms(rounds, f):
    f()
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        f()
        samples.append((time.perf_counter() - t) * 1e3)
    samples.sort()
    return samples[rounds // 2]


def load():
    d = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("FIRELIGHT_DATA", "data/mnist")
    path = os.path.join(d, "mnist.pkl.gz")
    if os.path.exists(path):
        with gzip.open(path, "rb") as f:
            ((x_train, y_train), _, _) = pickle.load(f, encoding="latin-1")
        return torch.tensor(x_train), torch.tensor(y_train, dtype=torch.int64), "MNIST"
    return torch.rand(50000, 784), torch.randint(0, 10, (50000,)), "random stand-in for MNIST"


def main():
    torch.manual_seed(0)
    x_train, y_train, source = load()
    train_ds = TensorDataset(x_train, y_train)

    def epoch(dl):
        def run():
            for xb, yb in dl:
                pass
        return run

    results = [
        ("batch_size 64, shuffle", time_ms(7, epoch(DataLoader(train_ds, batch_size=64, shuffle=True)))),
        ("batch_size 64, shuffle, num_workers 2",
         time_ms(7, epoch(DataLoader(train_ds, batch_size=64, shuffle=True, num_workers=2)))),
        ("batch_size 64, no shuffle", time_ms(7, epoch(DataLoader(train_ds, batch_size=64)))),
    ]
    print(f"one epoch over {source} {list(x_train.shape)}, threads: {torch.get_num_threads()}")
    for n, ms in results:
        print(f"{ms:>10.2f} ms  {n}")


if __name__ == "__main__":
    main()
