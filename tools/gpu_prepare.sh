#!/usr/bin/env bash
# Builds, on this (CPU) machine, what tools/gpu_run.sh runs on a GPU machine that has no
# Rust toolchain: the GPU test suite, example 13_gpu and the GPU bench, stripped into
# .gpubin/, and the Vulkan loader's Debian packages into .gl/ (both git-ignored locally;
# carry them to the GPU machine). See the README's "Using your GPU".
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qxF '/.gl/' .git/info/exclude || echo /.gl/ >> .git/info/exclude
grep -qxF '/.gpubin/' .git/info/exclude || echo /.gpubin/ >> .git/info/exclude
mkdir -p .gpubin .gl
cargo build --release --features gpu --example 13_gpu
cargo bench --features gpu --bench gpu --no-run
cargo test --release --features gpu --test gpu_parity --no-run
newest() { ls -t $1 | grep -v '\.d$' | head -1; }
cp target/release/examples/13_gpu .gpubin/13_gpu
cp "$(newest 'target/release/deps/gpu-*')" .gpubin/gpu_bench
cp "$(newest 'target/release/deps/gpu_parity-*')" .gpubin/gpu_parity
strip .gpubin/*
if ! ls .gl/libvulkan1_*.deb >/dev/null 2>&1; then
    o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
    mkdir -p /tmp/amd64/partial
    apt-get $o update >/dev/null
    (cd .gl && apt-get $o download libvulkan1)
fi
du -sh .gpubin .gl
