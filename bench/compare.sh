#!/usr/bin/env bash
# firelight against PyTorch running the tutorial's own code, side by side on this machine.
#
#   bench/compare.sh [--rounds R] [--threads N] [--epochs E] [--quick] [--limit N]
#
# Each round runs, one process at a time (the order alternates between rounds):
#   target/release/firelight bench --json       and   $PYTHON bench/pytorch_reference.py
#   target/release/firelight fit --model logistic --epochs 2 --out <tmp>
#                                               and   $PYTHON bench/pytorch_fit_logistic.py
# the two fits under /usr/bin/time -v (wall time, peak RSS). Then bench/summarize.py prints,
# per workload, firelight's median, PyTorch's median and best round, and the two ratios.
#
# PYTHON (default python3) must have torch and numpy; FIRELIGHT_DATA (default data/mnist)
# must hold mnist.pkl.gz. --rounds is at least 5 unless --quick; --limit N (smoke runs
# only) trains and validates the benches on the first N examples. Nothing here is built
# except the release binary, and only when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5
threads=2
epochs=2
quick=0
limit=""
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --epochs) epochs="$2"; shift 2 ;;
        --quick) quick=1; shift ;;
        --limit) limit="$2"; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: unknown argument $1 (see $0 --help)" >&2; exit 2 ;;
    esac
done
if [ "$quick" = 0 ] && [ "$rounds" -lt 5 ]; then
    echo "error: --rounds $rounds: at least 5 rounds (or pass --quick for a smoke run)" >&2
    exit 2
fi

PYTHON="${PYTHON:-python3}"
DATA="${FIRELIGHT_DATA:-data/mnist}"
FIRELIGHT=target/release/firelight
if [ ! -x "$FIRELIGHT" ]; then
    echo "== $FIRELIGHT is missing: cargo build --release -p firelight-cli" >&2
    cargo build --release -p firelight-cli
fi
if [ ! -f "$DATA/mnist.pkl.gz" ]; then
    echo "error: $DATA/mnist.pkl.gz not found; set FIRELIGHT_DATA to the folder holding it" >&2
    exit 1
fi
if ! "$PYTHON" -c "import torch, numpy" 2>/dev/null; then
    echo "error: $PYTHON cannot import torch and numpy; set PYTHON=/path/to/python (see bench/README.md)" >&2
    exit 1
fi

# `firelight fit` uses one thread per CPU it may run on; with fewer threads than CPUs,
# both fits are pinned to the first N CPUs.
pin=()
if [ "$threads" -lt "$(nproc)" ]; then
    pin=(taskset -c "0-$((threads - 1))")
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
limit_args=()
[ -n "$limit" ] && limit_args=(--limit "$limit")

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    avx512=no
    grep -qw avx512f /proc/cpuinfo 2>/dev/null && avx512=yes
    echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1) ($(nproc) CPUs, family $(lscpu | sed -n 's/^CPU family:[[:space:]]*//p' | head -1) model $(lscpu | sed -n 's/^Model:[[:space:]]*//p' | head -1), avx512f: $avx512)"
    echo "rustc: $(rustc --version)"
    echo "python: $("$PYTHON" -c 'import sys; print(sys.version.split()[0])'), torch $("$PYTHON" -c 'import torch; print(torch.__version__)')"
    echo "threads: $threads   rounds: $rounds   bench epochs: $epochs${limit:+   limit: $limit (smoke run)}"
    echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$work/header.txt"
cat "$work/header.txt" >&2

fl_bench() {
    "$FIRELIGHT" bench --json --data "$DATA" --threads "$threads" --epochs "$epochs" \
        "${limit_args[@]}" > "$work/fl-bench-$1.json"
}
pt_bench() {
    "$PYTHON" bench/pytorch_reference.py --data "$DATA" --threads "$threads" --epochs "$epochs" \
        "${limit_args[@]}" > "$work/pt-bench-$1.json"
}
fl_fit() {
    /usr/bin/time -v -o "$work/fl-fit-$1.time" "${pin[@]}" "$FIRELIGHT" fit --model logistic \
        --epochs 2 --data "$DATA" --out "$work/fit-$1" > /dev/null
}
pt_fit() {
    /usr/bin/time -v -o "$work/pt-fit-$1.time" "${pin[@]}" "$PYTHON" bench/pytorch_fit_logistic.py \
        --data "$DATA" --threads "$threads" --epochs 2 > /dev/null
}

for r in $(seq 1 "$rounds"); do
    echo "== round $r/$rounds" >&2
    if [ $((r % 2)) = 1 ]; then
        fl_bench "$r"; pt_bench "$r"; fl_fit "$r"; pt_fit "$r"
    else
        pt_bench "$r"; fl_bench "$r"; pt_fit "$r"; fl_fit "$r"
    fi
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$work/header.txt"

"$PYTHON" bench/summarize.py "$work"
