#!/usr/bin/env bash
# Packs what bench/gpu.sh needs on an NVIDIA machine that has no network (an air-gapped GPU host, or a lent
# benchmark machine): the node binary, the node_modules the encoder and the benchmark load, and onnxruntime's CUDA
# execution provider libraries, which onnxruntime-node's npm package does not ship for linux-x64 (its install
# script downloads them from NuGet; offline installs skip it, see .npmrc).
#
# The provider libraries come from PyPI's onnxruntime-gpu wheel of exactly the onnxruntime-node version in
# node_modules: ORT loads a provider only from its own release. onnxruntime-gpu 1.30 is built for CUDA 13 and
# cuDNN 9; the GPU machine must have those libraries (CUDA toolkit, or the nvidia-* Python wheels PyTorch brings).
#
# Usage (repo root, after npm ci):  bench/gpu/pack-offline.sh OUT_DIR [PART_MB]
# Writes OUT_DIR/embedline-gpu.tar.zst.part-* and OUT_DIR/libonnxruntime_providers_cuda.so.zst.part-* (PART_MB MiB
# each, default 45, for a size-limited transfer). On the GPU machine:
#   cat embedline-gpu.tar.zst.part-* | zstd -dc | tar -x -C BUNDLE_DIR
#   cat libonnxruntime_providers_cuda.so.zst.part-* | zstd -dc \
#     > BUNDLE_DIR/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so
# (no zstd there? the zstandard Python wheel does it: python3 -c "import sys, zstandard;
# zstandard.ZstdDecompressor().copy_stream(sys.stdin.buffer, sys.stdout.buffer)"), then
# EMBEDLINE_GPU_BUNDLE=BUNDLE_DIR bench/gpu.sh.
set -euo pipefail
out=${1:?usage: bench/gpu/pack-offline.sh OUT_DIR [PART_MB]}
part_mb=${2:-45}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
ort_version=$(node -p "require('onnxruntime-node/package.json').version")
wheel_dir=.cache/onnxruntime-gpu-$ort_version
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

if ! ls "$wheel_dir"/onnxruntime_gpu-*.whl >/dev/null 2>&1; then
  echo "downloading onnxruntime-gpu==$ort_version (Linux x86-64 wheel) from PyPI"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 -d "$wheel_dir" "onnxruntime-gpu==$ort_version"
fi
wheel=$(ls "$wheel_dir"/onnxruntime_gpu-*.whl | head -n1)

# The runtime closure of the encoder (all that bench/gpu/run.ts imports), plus tsx (the sources run as TypeScript).
mapfile -t packages < <(
  { npm ls --all --parseable --omit=dev -w libs/encoder; npm ls --all --parseable tsx; } 2>/dev/null |
    sed "s|^$root/||" | grep '^node_modules/' | sort -u
)
packages+=(node_modules/esbuild node_modules/@esbuild/linux-x64 node_modules/get-tsconfig node_modules/resolve-pkg-maps)
for package in "${packages[@]}"; do
  [ -e "$package" ] || continue
  mkdir -p "$stage/$(dirname "$package")"
  cp -a "$package" "$stage/$package"
done
# onnxruntime-node ships every platform's binaries; keep linux-x64's. The CUDA provider (270 MB, mostly CUDA kernels
# that are already compressed) travels as its own file, compressed once and cached: it dominates the time.
ort_bin=$stage/node_modules/onnxruntime-node/bin/napi-v6
find "$ort_bin" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
rm -rf "$ort_bin/linux/arm64"
unzip -q -j -o "$wheel" 'onnxruntime/capi/libonnxruntime_providers_shared.so' -d "$ort_bin/linux/x64"
provider_zst=$wheel_dir/libonnxruntime_providers_cuda.so.zst
if [ ! -f "$provider_zst" ]; then
  echo "compressing the CUDA provider library (once; cached in $wheel_dir)"
  unzip -p "$wheel" 'onnxruntime/capi/libonnxruntime_providers_cuda.so' | zstd -q -19 -T0 -o "$provider_zst.tmp"
  mv "$provider_zst.tmp" "$provider_zst"
fi
mkdir -p "$stage/bin"
cp "$(command -v node)" "$stage/bin/node"
echo "onnxruntime-node $ort_version + CUDA provider from $(basename "$wheel"); node $(node -v)" >"$stage/MANIFEST"

mkdir -p "$out"
rm -f "$out"/embedline-gpu.* "$out"/libonnxruntime_providers_cuda.so.zst.*
echo "packing $(du -sh "$stage" | cut -f1) + the CUDA provider into $out (zstd, ${part_mb} MiB parts)"
tar -C "$stage" -cf - . | zstd -q -12 -T0 | split -b "${part_mb}m" - "$out/embedline-gpu.tar.zst.part-"
split -b "${part_mb}m" "$provider_zst" "$out/libonnxruntime_providers_cuda.so.zst.part-"
ls -l "$out"
