"""The tutorial's "Using your GPU" chapter in PyTorch: the same CNN as examples/13_gpu.rs
(three stride-2 convs, adaptive average pool, SGD lr 0.1 momentum 0.9, batch 64, 2 epochs,
validation at batch 128), printing seconds per epoch and validation loss and accuracy in
the example's format, so the two compare line by line on one machine.

Run: python3 tools/cnn_torch_gpu.py [path/to/mnist.pkl.gz]   (needs torch; CI never runs it)
It uses CUDA when torch sees it, else the CPU, and says which.
"""
import gzip
import pickle
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "data/mnist/mnist.pkl.gz"
    with gzip.open(path, "rb") as f:
        ((x_train, y_train), (x_valid, y_valid), _) = pickle.load(f, encoding="latin-1")
    x_train, y_train, x_valid, y_valid = map(torch.tensor, (x_train, y_train, x_valid, y_valid))
    dev = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    print(f"device: {dev} ({torch.cuda.get_device_name() if dev.type == 'cuda' else 'cpu'}), torch {torch.__version__}")

    def preprocess(x, y):
        return x.view(-1, 1, 28, 28).to(dev), y.to(dev)

    torch.manual_seed(0)
    train_dl = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
    valid_dl = DataLoader(TensorDataset(x_valid, y_valid), batch_size=128)
    model = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    ).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for epoch in range(2):
        start = time.perf_counter()
        model.train()
        for xb, yb in train_dl:
            xb, yb = preprocess(xb, yb)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
        model.eval()
        loss_sum, correct, n = 0.0, 0.0, 0
        with torch.no_grad():
            for xb, yb in valid_dl:
                xb, yb = preprocess(xb, yb)
                out = model(xb)
                loss_sum += F.cross_entropy(out, yb).item() * len(yb)
                correct += (out.argmax(1) == yb).float().sum().item()
                n += len(yb)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        print(f"{epoch} {loss_sum / n:.6f} (valid accuracy {correct / n:.4f}, {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
