#!/usr/bin/env python3
"""The tutorial's logistic-regression fit, as a whole process: PyTorch's side of
`firelight fit --model logistic --epochs 2`.

"What is torch.nn really?" code, unchanged apart from the data path and the thread count:
mnist.pkl.gz read with pickle + gzip, TensorDataset, get_data (DataLoader shuffle=True,
batch 64; validation batch 128), Mnist_Logistic (nn.Linear(784, 10)), SGD lr 0.5,
F.cross_entropy, loss_batch and fit, printing the validation loss after each epoch.
`bench/compare.sh` runs it under /usr/bin/time -v for wall time and peak RSS, so the
figure includes Python's and torch's start-up and the data loading.

    python3 bench/pytorch_fit_logistic.py [--data DIR] [--threads N] [--epochs N]
"""
import argparse
import gzip
import os
import pickle
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--data", default=os.environ.get("FIRELIGHT_DATA", "data/mnist"))
p.add_argument("--threads", type=int, default=2)
p.add_argument("--epochs", type=int, default=2)
args = p.parse_args()
torch.set_num_threads(args.threads)

with gzip.open((Path(args.data) / "mnist.pkl.gz").as_posix(), "rb") as f:
    ((x_train, y_train), (x_valid, y_valid), _) = pickle.load(f, encoding="latin-1")

x_train, y_train, x_valid, y_valid = map(torch.tensor, (x_train, y_train, x_valid, y_valid))

bs = 64
lr = 0.5
epochs = args.epochs
loss_func = F.cross_entropy


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(784, 10)

    def forward(self, xb):
        return self.lin(xb)


def get_model():
    model = Mnist_Logistic()
    return model, optim.SGD(model.parameters(), lr=lr)


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)

    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()

    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)

        model.eval()
        with torch.no_grad():
            losses, nums = zip(
                *[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl]
            )
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)

        print(epoch, val_loss)


def get_data(train_ds, valid_ds, bs):
    return (
        DataLoader(train_ds, batch_size=bs, shuffle=True),
        DataLoader(valid_ds, batch_size=bs * 2),
    )


train_ds = TensorDataset(x_train, y_train)
valid_ds = TensorDataset(x_valid, y_valid)
train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
model, opt = get_model()
fit(epochs, model, loss_func, opt, train_dl, valid_dl)
