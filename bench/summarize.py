#!/usr/bin/env python3
"""Aggregates the rounds bench/compare.sh wrote into DIR: the header, then per workload
firelight's median, PyTorch's median and best round, and firelight / PyTorch of both.

    python3 bench/summarize.py DIR

DIR holds header.txt, fl-bench-R.json / pt-bench-R.json (firelight bench --json and
bench/pytorch_reference.py, same fields) and fl-fit-R.time / pt-fit-R.time (/usr/bin/time -v).
Ratios are firelight / PyTorch of the quantity in the row: for times below 1 means
firelight is faster, for images/s above 1 does. "Best" is PyTorch's fastest round (the
lowest time, the highest images/s). Standard library only.
"""
import json
import re
import statistics
import sys
from pathlib import Path


def rounds(d, prefix, suffix):
    def key(p):
        return int(re.search(r"-(\d+)\.", p.name).group(1))

    return sorted(d.glob(f"{prefix}-*{suffix}"), key=key)


def parse_time(path):
    """(wall seconds, peak RSS MiB) from /usr/bin/time -v output."""
    text = path.read_text()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    secs = 0.0
    for part in wall.split(":"):
        secs = secs * 60 + float(part)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    return secs, rss_kb / 1024


def workloads(report):
    """(name, unit, higher_is_better, value) for every figure in one bench report."""
    out = []
    for m in report["models"]:
        out.append((f"{m['model']} train epoch 1", "s", False, m["train_epoch_s"]))
        if m.get("train_epoch_later_s") is not None:
            out.append((f"{m['model']} train later epochs (mean)", "s", False,
                        m["train_epoch_later_s"]))
        out.append((f"{m['model']} valid pass", "s", False, m["valid_pass_s"]))
    out.append(("cnn inference batch 1000", "img/s", True, report["cnn_inference_images_per_s"]))
    out.append(("cnn latency batch 1", "ms", False, report["cnn_latency_batch1_ms"]))
    out.append(("cnn latency batch 64", "ms", False, report["cnn_latency_batch64_ms"]))
    for o in report.get("ops", []):
        out.append((f"op {o['op']} {o['shape']}", "µs", False, o["micros"]))
    return out


def collect(d, side):
    """{workload: (unit, higher_is_better, [values per round])}, in first-seen order."""
    table = {}
    for p in rounds(d, f"{side}-bench", ".json"):
        for name, unit, hib, v in workloads(json.loads(p.read_text())):
            table.setdefault(name, (unit, hib, []))[2].append(v)
    for p in rounds(d, f"{side}-fit", ".time"):
        wall, rss = parse_time(p)
        table.setdefault("fit logistic 2 epochs, whole process", ("s", False, []))[2].append(wall)
        table.setdefault("fit logistic 2 epochs, peak RSS", ("MiB", False, []))[2].append(rss)
    return table


def fmt(v):
    if v >= 1000:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def main():
    d = Path(sys.argv[1])
    print((d / "header.txt").read_text().rstrip())
    fl, pt = collect(d, "fl"), collect(d, "pt")
    print()
    print("ratio = firelight / PyTorch (times: < 1 means firelight is faster; img/s: > 1)")
    print()
    w = max(len(n) for n in fl) + 2
    head = (f"{'workload':<{w}}{'unit':<6}{'firelight':>11}{'PyTorch':>11}{'PyT best':>11}"
            f"{'ratio':>8}{'to best':>9}")
    print(head)
    print("-" * len(head))
    for name, (unit, hib, fv) in fl.items():
        if name not in pt:
            continue
        _, _, pv = pt[name]
        fm, pm = statistics.median(fv), statistics.median(pv)
        best = max(pv) if hib else min(pv)
        print(f"{name:<{w}}{unit:<6}{fmt(fm):>11}{fmt(pm):>11}{fmt(best):>11}"
              f"{fm / pm:>8.2f}{fm / best:>9.2f}")
    print()
    print("every round (firelight | PyTorch), in run order:")
    for name, (unit, _, fv) in fl.items():
        if name in pt and not name.startswith("op "):
            print(f"  {name} ({unit}): {' '.join(fmt(v) for v in fv)} | "
                  f"{' '.join(fmt(v) for v in pt[name][2])}")


if __name__ == "__main__":
    main()
