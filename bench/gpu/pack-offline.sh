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
# Usage (repo root, after npm ci):  bench/gpu/pack-offline.sh [--pipeline] [--sm 90] [--part-mb 45] OUT_DIR
#   --pipeline   also what bench/gpu-pipeline.sh needs: the worker's, producer's and benchmarks' runtime packages
#                (BullMQ, LanceDB, Arrow, ...) and this machine's redis-server with the libraries it links (glibc
#                aside), behind a bin/redis-server wrapper that gives only redis its library path
#   --sm N       keep only the provider's machine code for GPU architecture sm_N (90: H100, H200), the rest zeroed
#                (bench/gpu/keep-gpu-arch.ts): 51 MB compressed instead of 178 MB. The result runs on no other GPU.
#   --part-mb M  split each archive into M MiB parts, for a size-limited transfer (default 45)
# Writes OUT_DIR/embedline-gpu.tar.xz.part-* and OUT_DIR/libonnxruntime_providers_cuda.so.xz.part-* (xz, because
# Python's lzma module unpacks it where no xz is installed). On the GPU machine:
#   cat embedline-gpu.tar.xz.part-* | xz -dc | tar -x -C BUNDLE_DIR
#   cat libonnxruntime_providers_cuda.so.xz.part-* | xz -dc \
#     > BUNDLE_DIR/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so
# (no xz there? python3 -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.stdin.buffer),
# sys.stdout.buffer)" in its place), then EMBEDLINE_GPU_BUNDLE=BUNDLE_DIR bench/gpu.sh.
set -euo pipefail
usage='usage: bench/gpu/pack-offline.sh [--pipeline] [--sm N] [--part-mb M] OUT_DIR'
pipeline=''
sm=''
part_mb=45
while [ $# -gt 1 ]; do
  case $1 in
    --pipeline) pipeline=1; shift ;;
    --sm) sm=${2:?$usage}; shift 2 ;;
    --part-mb) part_mb=${2:?$usage}; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
out=${1:?$usage}
[[ -z $sm || $sm =~ ^[0-9]+$ ]] || { echo "--sm: expected a number such as 90, got '$sm'" >&2; exit 2; }
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

# The runtime closure of the encoder (all that bench/gpu/run.ts imports), or with --pipeline of the worker, the
# producer and the benchmarks too, plus tsx (the sources run as TypeScript). Left out: optional peers that npm lists but nothing here
# loads (LanceDB's embedding functions' transformers.js with its onnxruntime-web and sharp; the Qdrant client's
# typescript), 200 MB together.
workspaces=(-w libs/encoder)
[ -z "$pipeline" ] || workspaces+=(-w apps/worker -w apps/producer -w bench)
unused_packages='^node_modules/(@huggingface/transformers|onnxruntime-web|sharp|@img/[^/]+|typescript)$'
mapfile -t packages < <(
  # npm ls exits 1 over LanceDB's unmet optional peer (transformers.js 3 wanted, 4 installed): its list is whole.
  { npm ls --all --parseable --omit=dev "${workspaces[@]}" || true; npm ls --all --parseable tsx; } 2>/dev/null |
    sed "s|^$root/||" | grep '^node_modules/' | grep -Ev "$unused_packages" | sort -u
)
packages+=(node_modules/esbuild node_modules/@esbuild/linux-x64 node_modules/get-tsconfig node_modules/resolve-pkg-maps)
for package in "${packages[@]}"; do
  [ -e "$package" ] || continue
  mkdir -p "$stage/$(dirname "$package")"
  cp -a "$package" "$stage/$package"
done
# onnxruntime-node ships every platform's binaries; keep linux-x64's. The CUDA provider (272 MB, mostly CUDA machine
# code for six GPU architectures) travels as its own file, compressed once and cached: it dominates the time.
ort_bin=$stage/node_modules/onnxruntime-node/bin/napi-v6
find "$ort_bin" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
rm -rf "$ort_bin/linux/arm64"
unzip -q -j -o "$wheel" 'onnxruntime/capi/libonnxruntime_providers_shared.so' -d "$ort_bin/linux/x64"
provider_xz=$wheel_dir/libonnxruntime_providers_cuda${sm:+.sm_$sm}.so.xz
if [ ! -f "$provider_xz" ]; then
  echo "compressing the CUDA provider library${sm:+ for sm_$sm only} (once; cached in $wheel_dir)"
  unzip -p "$wheel" 'onnxruntime/capi/libonnxruntime_providers_cuda.so' >"$stage/provider.so"
  [ -z "$sm" ] || node --import tsx bench/gpu/keep-gpu-arch.ts "$stage/provider.so" "$stage/provider.so" "$sm"
  xz -9e -T0 -c "$stage/provider.so" >"$provider_xz.tmp"
  rm "$stage/provider.so"
  mv "$provider_xz.tmp" "$provider_xz"
fi
mkdir -p "$stage/bin"
cp "$(command -v node)" "$stage/bin/node"
[ -z "$pipeline" ] || bench/gpu/pack-redis.sh "$stage"
echo "onnxruntime-node $ort_version + CUDA provider from $(basename "$wheel"); node $(node -v)${pipeline:+; with the worker and producer packages and redis-server}" >"$stage/MANIFEST"

mkdir -p "$out"
rm -f "$out"/embedline-gpu.* "$out"/libonnxruntime_providers_cuda.so.*
echo "packing $(du -sh "$stage" | cut -f1) + the CUDA provider into $out (xz, ${part_mb} MiB parts)"
tar -C "$stage" -cf - . | xz -9e -T0 | split -b "${part_mb}m" - "$out/embedline-gpu.tar.xz.part-"
split -b "${part_mb}m" "$provider_xz" "$out/libonnxruntime_providers_cuda.so.xz.part-"
ls -l "$out"
