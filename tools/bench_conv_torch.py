"""PyTorch's side of `cargo bench --bench conv`: the same ops, the same timing method.

Run: python3 tools/bench_conv_torch.py   (needs torch; CI never runs it)
Compare the two outputs from one session, as ratios: machines are noisy.
"""
import time

import torch
import torch.nn.functional as F


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


class MnistCNN(torch.nn.Module):
    """The tutorial's model, as in its "Switch to CNN" chapter."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
        self.conv2 = torch.nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
        self.conv3 = torch.nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1)

    def forward(self, xb):
        xb = xb.view(-1, 1, 28, 28)
        xb = F.relu(self.conv1(xb))
        xb = F.relu(self.conv2(xb))
        xb = F.relu(self.conv3(xb))
        xb = F.avg_pool2d(xb, 4)
        return xb.view(-1, xb.size(1))


def cnn_step_us():
    model = MnistCNN()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    xb = ((torch.rand(64, 784) - 0.6).clamp_min(0) * 2.5)
    yb = torch.randint(0, 10, (64,))

    def step():
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad()

    return time_us(11, 100, step)


def main():
    torch.manual_seed(0)
    layers = [((64, 1, 28, 28), (16, 1, 3, 3)), ((64, 16, 14, 14), (16, 16, 3, 3)), ((64, 16, 7, 7), (10, 16, 3, 3))]
    params = []
    for _, ws in layers:
        w = (torch.randn(ws) / 12).requires_grad_()
        params.append((w, torch.zeros(ws[0], requires_grad=True)))
    results = []
    for i, ((xs, ws), (w, b)) in enumerate(zip(layers, params)):
        x = torch.randn(xs)
        name = f"conv{i + 1} {list(xs)}->{list(ws)}"
        with torch.no_grad():
            results.append((f"{name} forward", time_us(11, 200, lambda: F.conv2d(x, w, b, 2, 1))))
        y = F.conv2d(x, w, b, 2, 1)
        gy = torch.randn(y.shape)
        results.append((f"{name} backward weight+bias", time_us(11, 200, lambda: y.backward(gy, retain_graph=True))))
        xg = x.detach().requires_grad_()
        y2 = F.conv2d(xg, w.detach(), b.detach(), 2, 1)
        results.append((f"{name} backward input", time_us(11, 200, lambda: y2.backward(gy, retain_graph=True))))
    x = torch.randn(64, 1, 28, 28)

    def step():
        h = x
        for w, b in params:
            h = F.relu(F.conv2d(h, w, b, 2, 1))
        F.avg_pool2d(h, 4).mean().backward()

    results.append(("3 convs + relu + avg_pool2d(4) + mean, forward+backward", time_us(11, 100, step)))
    results.append(("tutorial CNN training step (forward, cross_entropy, backward, SGD momentum)", cnn_step_us()))
    print(f"threads: {torch.get_num_threads()}")
    for n, us in results:
        print(f"{us:>10.1f} us  {n}")


if __name__ == "__main__":
    main()
