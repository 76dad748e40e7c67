# Sourced by bench/gpu.sh and bench/gpu-pipeline.sh (from the repo root): what both need before anything runs on
# the GPU. Each step fails with one line naming what is missing.
#   use_gpu_bundle       EMBEDLINE_GPU_BUNDLE (a folder unpacked from pack-offline.sh): its bin/ first on PATH, its
#                        node_modules copied in when this checkout has none
#   check_gpu_runtime    node, node_modules/onnxruntime-node, nvidia-smi (sets gpu_name)
#   find_cuda_libraries  CUDA 13 / cuDNN 9 (toolkit or the nvidia-* Python wheels) onto LD_LIBRARY_PATH; checks the
#                        CUDA provider's libraries are installed and that every library they link against resolves
#   ensure_bench_model   DIR SHAPE VARIANTS: builds a benchmark model with tools/reference/make_bench_model.py if
#                        DIR lacks one of the variants' files
# Environment: EMBEDLINE_GPU_BUNDLE, PYTHON (default python3).

say() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
fail() {
  say "error: $*"
  exit 2
}

python=${PYTHON:-python3}

use_gpu_bundle() {
  local bundle=${EMBEDLINE_GPU_BUNDLE:-}
  [ -n "$bundle" ] || return 0
  [ -x "$bundle/bin/node" ] || fail "EMBEDLINE_GPU_BUNDLE=$bundle has no bin/node"
  export PATH="$bundle/bin:$PATH"
  # A copy, not a link: the workspace packages (@embedline/*) are relative links into this checkout.
  [ -e node_modules ] || cp -a "$bundle/node_modules" node_modules
}

check_gpu_runtime() {
  command -v node >/dev/null || fail "node is not on PATH (install Node.js >= 20.12 or set EMBEDLINE_GPU_BUNDLE)"
  [ -d node_modules/onnxruntime-node ] || fail "node_modules/onnxruntime-node is missing (npm ci, or EMBEDLINE_GPU_BUNDLE)"
  command -v nvidia-smi >/dev/null || fail "nvidia-smi not found: no NVIDIA driver on this machine"
  gpu_name=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -n1)
  say "GPU: $gpu_name; node $(node -v)"
}

find_cuda_libraries() {
  local ort_dir=node_modules/onnxruntime-node/bin/napi-v6/linux/x64 lib site_dirs lib_dirs missing
  for lib in libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so; do
    [ -f "$ort_dir/$lib" ] || fail "$ort_dir/$lib is missing: run bench/gpu/pack-offline.sh (offline) or onnxruntime-node's install script with --onnxruntime-node-install=cuda12"
  done
  # The toolkit's folders and any nvidia-* wheels of the Python on PATH.
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
}

ensure_bench_model() {
  local dir=$1 shape=$2 variants=$3 variant
  local wanted=("$dir/onnx/model.onnx")
  for variant in ${variants//,/ }; do wanted+=("$dir/onnx/model_$variant.onnx"); done
  for file in "${wanted[@]}"; do
    [ -f "$file" ] && continue
    say "building the $shape benchmark model in $dir (fp32${variants:+, $variants})"
    "$python" tools/reference/make_bench_model.py --shape "$shape" --out "$dir" ${variants:+--variants "$variants"} >&2 ||
      fail "make_bench_model.py --shape $shape failed"
    return 0
  done
}
