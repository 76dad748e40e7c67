#!/usr/bin/env bash
# The GPU path, checked and measured on one NVIDIA GPU, with no network needed:
#   1. finds the CUDA 13 / cuDNN 9 libraries (CUDA toolkit, or the nvidia-* Python wheels PyTorch installs),
#   2. makes sure onnxruntime-node has its CUDA execution provider (libonnxruntime_providers_cuda.so and
#      _shared.so beside libonnxruntime.so.1; bench/gpu/pack-offline.sh or onnxruntime-node's install script
#      put them there) and that every library it links against resolves,
#   3. builds the DistilBERT-base-shaped benchmark model with fp16 and O4 variants if it is missing
#      (tools/reference/make_bench_model.py; needs torch, transformers, sentence-transformers, onnx, onnxruntime),
#   4. runs bench/gpu/run.ts: the CUDA provider loads, parity on the GPU (fp32 with and without TF32), passages/s
#      per variant, token budget and inference threads, and sentence-transformers (fp16) on the same GPU as the peer.
#
# Usage (repo root):  bench/gpu.sh [run.ts flags, e.g. --variants fp16,O4 --budgets 65536]
# Environment: EMBEDLINE_GPU_BUNDLE (a folder unpacked from pack-offline.sh: bin/node, node_modules),
#   EMBEDLINE_BENCH_MODEL (default .cache/models/bench-distilbert-base), CUDA_VISIBLE_DEVICES / EMBEDLINE_DEVICE_ID,
#   PYTHON (default python3), OUT (results folder, default bench/results).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[gpu.sh] %s\n' "$*" >&2; }
fail() { say "error: $*"; exit 2; }

bundle=${EMBEDLINE_GPU_BUNDLE:-}
if [ -n "$bundle" ]; then
  [ -x "$bundle/bin/node" ] || fail "EMBEDLINE_GPU_BUNDLE=$bundle has no bin/node"
  export PATH="$bundle/bin:$PATH"
  # A copy, not a link: the workspace packages (@embedline/*) are relative links into this checkout.
  [ -e node_modules ] || cp -a "$bundle/node_modules" node_modules
fi
command -v node >/dev/null || fail "node is not on PATH (install Node.js >= 20.12 or set EMBEDLINE_GPU_BUNDLE)"
[ -d node_modules/onnxruntime-node ] || fail "node_modules/onnxruntime-node is missing (npm ci, or EMBEDLINE_GPU_BUNDLE)"
command -v nvidia-smi >/dev/null || fail "nvidia-smi not found: no NVIDIA driver on this machine"
gpu_name=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -n1)
say "GPU: $gpu_name; node $(node -v)"

ort_dir=node_modules/onnxruntime-node/bin/napi-v6/linux/x64
for lib in libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so; do
  [ -f "$ort_dir/$lib" ] || fail "$ort_dir/$lib is missing: run bench/gpu/pack-offline.sh (offline) or onnxruntime-node's install script with --onnxruntime-node-install=cuda12"
done

# CUDA libraries: the toolkit's folders and any nvidia-* wheels of the Python on PATH.
python=${PYTHON:-python3}
site_dirs=$("$python" -c 'import site, sys; print(" ".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null || true)
lib_dirs=$(find /usr/local/cuda*/lib64 /usr/lib/x86_64-linux-gnu $site_dirs -maxdepth 4 \
  \( -name 'libcudart.so.13*' -o -name 'libcublas.so.13*' -o -name 'libcublasLt.so.13*' -o -name 'libcurand.so.10*' \
     -o -name 'libcufft.so.12*' -o -name 'libcudnn.so.9*' -o -name 'libnvrtc.so.13*' \) -printf '%h\n' 2>/dev/null | sort -u | paste -sd: || true)
export LD_LIBRARY_PATH="${lib_dirs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
missing=$(ldd "$ort_dir/libonnxruntime_providers_cuda.so" | grep 'not found' || true)
[ -z "$missing" ] || fail "the CUDA provider's libraries do not resolve (LD_LIBRARY_PATH=$LD_LIBRARY_PATH):
$missing"
for lib in libcudnn.so.9 libcufft.so.12; do
  [ -n "$(find ${lib_dirs//:/ } -maxdepth 1 -name "$lib*" 2>/dev/null | head -n1)" ] || say "warning: $lib not found (loaded on demand by onnxruntime)"
done
say "CUDA libraries from: $lib_dirs"

model=${EMBEDLINE_BENCH_MODEL:-.cache/models/bench-distilbert-base}
if [ ! -f "$model/onnx/model_O4.onnx" ] || [ ! -f "$model/onnx/model_fp16.onnx" ]; then
  say "building the benchmark model in $model (fp32, fp16, O4)"
  "$python" tools/reference/make_bench_model.py --out "$model" --variants fp16,O4 >&2 || fail "make_bench_model.py failed"
fi

export EMBEDLINE_GPU_NAME="$gpu_name" PYTHON="$python"
node --import tsx bench/gpu/run.ts --model "$model" --out "${OUT:-bench/results}" "$@"
