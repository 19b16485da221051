#!/usr/bin/env python3
"""PyTorch's side of `firelight bench --json`: the tutorial's own code, timed the same way.

The tutorial is "What is torch.nn really?"; each workload is written as a PyTorch user
writes it there: mnist.pkl.gz read with pickle + gzip, TensorDataset + DataLoader(shuffle=True),
nn.Linear / nn.Sequential models, optim.SGD, F.cross_entropy, batch 64.

Prints ONE JSON object with the fields of `firelight bench --json` (see
firelight-cli/src/bench.rs): threads, epochs, models[] (model, train_examples,
train_epoch_s = the first epoch, train_epoch_later_s = the mean of the later epochs,
valid_examples, valid_pass_s), cnn_inference_images_per_s (batch 1000),
cnn_latency_batch1_ms, cnn_latency_batch64_ms, and ops[] (op, shape, micros: the same ops
on the same shapes).

Data: x_train/y_train are the pickle's 50,000 training examples, x_valid/y_valid its
10,000 validation examples = the last 10,000 MNIST training images, exactly what
`firelight bench` loads from the same file. The validation pass runs in batches of 1000
(firelight's `eval` batch; the tutorial uses 128), under no_grad with model.eval(),
summing the loss and counting correct predictions.

    python3 bench/pytorch_reference.py [--data DIR] [--threads N] [--epochs N] [--limit N]
"""
import argparse
import gzip
import json
import os
import pickle
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset


class Lambda(nn.Module):
    """The tutorial's Lambda layer."""

    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


def preprocess(x):
    return x.view(-1, 1, 28, 28)


def build(name):
    """The tutorial's three models (logistic is its Mnist_Logistic as nn.Linear)."""
    if name == "logistic":
        return nn.Sequential(nn.Linear(784, 10))
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    if name == "cnn":
        return nn.Sequential(
            Lambda(preprocess),
            nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            Lambda(lambda x: x.view(x.size(0), -1)),
        )
    raise ValueError(name)


# (model, lr, momentum): the tutorial's hyperparameters, the same as firelight bench.
WORKLOADS = [("logistic", 0.5, 0.0), ("mlp", 0.1, 0.9), ("cnn", 0.1, 0.9)]


def timed(f):
    """Median seconds of one call, over enough calls to take about a quarter of a second
    (firelight bench's `time`, line for line)."""
    start = time.perf_counter()
    f()
    once = max(time.perf_counter() - start, 1e-7)
    reps = min(max(int(0.25 / once), 3), 1000)
    samples = []
    for _ in range(reps):
        s = time.perf_counter()
        f()
        samples.append(time.perf_counter() - s)
    samples.sort()
    return samples[reps // 2]


def evaluate(model, x, y):
    """firelight's eval::evaluate: mean loss, accuracy, batches of 1000."""
    model.eval()
    dl = DataLoader(TensorDataset(x, y), batch_size=1000)
    loss_sum, preds = 0.0, []
    with torch.no_grad():
        for xb, yb in dl:
            out = model(xb)
            loss_sum += F.cross_entropy(out, yb).item() * len(yb)
            preds.append(out.argmax(1))
    model.train()
    correct = (torch.cat(preds) == y).sum().item() if preds else 0
    n = max(len(y), 1)
    return loss_sum / n, correct / n


def ops():
    """firelight bench's op timings on the same shapes."""
    a = torch.randn(1000, 1000, requires_grad=True)
    b = torch.randn(1000, 1000)
    xb = torch.rand(64, 784)
    lin = nn.Linear(784, 10)
    x_img = torch.rand(64, 1, 28, 28)
    conv1 = nn.Conv2d(1, 16, 3, stride=2, padding=1)
    x_mid = torch.rand(64, 16, 14, 14)
    conv2 = nn.Conv2d(16, 16, 3, stride=2, padding=1)
    w = torch.randn(784, 128)
    x1000 = torch.rand(1000, 784)
    logits = torch.randn(64, 10, requires_grad=True)
    target = torch.arange(64) % 10
    out = []

    def add(op, shape, f):
        out.append({"op": op, "shape": shape, "micros": timed(f) * 1e6})

    def add_sum_backward():
        (a + b).sum().backward()
        a.grad = None

    def conv_fwd_bwd():
        conv2(x_mid).sum().backward()
        conv2.zero_grad()

    def ce_fwd_bwd():
        F.cross_entropy(logits, target).backward()
        logits.grad = None

    add("add + sum + backward", "[1000,1000]", add_sum_backward)
    add("matmul", "[1000,784]x[784,128]", lambda: x1000 @ w)
    add("linear forward", "[64,784] -> 10", lambda: lin(xb))
    add("conv2d forward 1->16 k3 s2", "[64,1,28,28]", lambda: conv1(x_img))
    add("conv2d forward 16->16 k3 s2", "[64,16,14,14]", lambda: conv2(x_mid))
    add("conv2d fwd+bwd 16->16 k3 s2", "[64,16,14,14]", conv_fwd_bwd)
    add("cross_entropy fwd+bwd", "[64,10]", ce_fwd_bwd)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=os.environ.get("FIRELIGHT_DATA", "data/mnist"),
                   help="folder holding mnist.pkl.gz (default $FIRELIGHT_DATA or data/mnist)")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    p.add_argument("--epochs", type=int, default=2, help="training epochs per model (default 2)")
    p.add_argument("--limit", type=int, default=None,
                   help="train and validate on only the first N examples (smoke runs)")
    a = p.parse_args()
    if a.epochs < 1:
        sys.exit("error: --epochs must be at least 1")

    torch.set_num_threads(a.threads)

    # The tutorial's loading code.
    with gzip.open(Path(a.data) / "mnist.pkl.gz", "rb") as f:
        ((x_train, y_train), (x_valid, y_valid), _) = pickle.load(f, encoding="latin-1")
    x_train, y_train, x_valid, y_valid = map(torch.tensor, (x_train, y_train, x_valid, y_valid))
    if a.limit:
        x_train, y_train = x_train[: a.limit], y_train[: a.limit]
        x_valid, y_valid = x_valid[: a.limit], y_valid[: a.limit]

    rows = []
    for name, lr, momentum in WORKLOADS:
        torch.manual_seed(0)
        model = build(name)
        opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        train_dl = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
        epoch_s = []
        for _ in range(a.epochs):
            model.train()
            start = time.perf_counter()
            for xb, yb in train_dl:
                loss = F.cross_entropy(model(xb), yb)
                loss.backward()
                opt.step()
                opt.zero_grad()
            epoch_s.append(time.perf_counter() - start)
        later = epoch_s[1:]
        start = time.perf_counter()
        evaluate(model, x_valid, y_valid)
        rows.append({
            "model": name,
            "train_examples": len(x_train),
            "train_epoch_s": epoch_s[0],
            "train_epoch_later_s": sum(later) / len(later) if later else None,
            "valid_examples": len(x_valid),
            "valid_pass_s": time.perf_counter() - start,
        })

    # Inference with a fresh CNN, eval mode, no autograd.
    cnn = build("cnn")
    cnn.eval()
    batch = x_valid[:1000]
    with torch.no_grad():
        per_s = len(batch) / timed(lambda: cnn(batch))
        x1, x64 = x_valid[:1], x_valid[:64]
        latency1 = timed(lambda: cnn(x1)) * 1e3
        latency64 = timed(lambda: cnn(x64)) * 1e3

    report = {
        "threads": torch.get_num_threads(),
        "epochs": a.epochs,
        "models": rows,
        "cnn_inference_images_per_s": per_s,
        "cnn_latency_batch1_ms": latency1,
        "cnn_latency_batch64_ms": latency64,
        "ops": ops(),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
