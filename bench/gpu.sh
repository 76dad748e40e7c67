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
source bench/gpu/env.sh
use_gpu_bundle
check_gpu_runtime
find_cuda_libraries
model=${EMBEDLINE_BENCH_MODEL:-.cache/models/bench-distilbert-base}
ensure_bench_model "$model" base fp16,O4

export EMBEDLINE_GPU_NAME="$gpu_name" PYTHON="$python"
node --import tsx bench/gpu/run.ts --model "$model" --out "${OUT:-bench/results}" "$@"
