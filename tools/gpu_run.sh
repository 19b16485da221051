#!/usr/bin/env bash
# The one prepared check on a GPU machine (after tools/gpu_prepare.sh here; carry .gpubin
# and .gl): the GPU parity suite, the tutorial CNN for 2 epochs on the GPU
# (examples/13_gpu), the GPU bench with a 4096x4096 matmul, and the same CNN in PyTorch
# (tools/cnn_torch_gpu.py). Logs go to $OUT (or ./gpu-logs).
set -u
cd "$(dirname "$0")/.."
out="${OUT:-gpu-logs}"
mkdir -p "$out"
# NVIDIA images often ship CUDA without the Vulkan loader: bring it, and point at the ICD.
if ! ldconfig -p | grep -q libvulkan.so.1; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
fi
for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json \
    /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then
        export VK_DRIVER_FILES="$icd"
        break
    fi
done
export FIRELIGHT_DATA="$PWD/data/mnist" FIRELIGHT_REQUIRE_GPU=1 WGPU_BACKEND=vulkan NODEVICE_SELECT=1
{ date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; } 2>&1 | tee "$out/machine.txt"
echo "== parity suite"; .gpubin/gpu_parity 2>&1 | tail -25 | tee "$out/parity.log"
echo "== 13_gpu, 2 epochs"; .gpubin/13_gpu 2>&1 | tee "$out/13_gpu.log"
echo "== 13_gpu on the CPU of that machine"; .gpubin/13_gpu --device cpu 2>&1 | tee "$out/13_cpu.log"
echo "== bench"; .gpubin/gpu_bench --matmul 4096 2>&1 | tee "$out/bench.log"
echo "== PyTorch"; PYTHONUNBUFFERED=1 python3 tools/cnn_torch_gpu.py data/mnist/mnist.pkl.gz 2>&1 | tee "$out/torch.log"
