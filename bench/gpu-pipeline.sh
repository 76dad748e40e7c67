#!/usr/bin/env bash
# The pipeline's figures on one NVIDIA GPU (issue 3's plumbing question), with no network needed:
#   1. the same environment as bench/gpu.sh (bench/gpu/env.sh): bundle, CUDA libraries, CUDA provider;
#   2. a redis-server on PATH (pack-offline.sh --pipeline bundles one in bin/), which the benchmarks start privately;
#   3. builds the nano and DistilBERT-base (O4) benchmark models if missing (tools/reference/make_bench_model.py);
#   4. plumbing.ts on the GPU: passages/s per worker with the encoder nearly free (nano and tiny models on the CUDA
#      provider, tokenizing on the host's cores) and with no encoder, against the 20k/s aim;
#   5. overhead.ts on the GPU: the pipeline against the encoder alone with the DistilBERT-base-shaped model (O4).
# A baseline whose CUDA provider did not load fails the run (encode-only.ts): no CPU figure passes as a GPU one.
#
# Usage (repo root):  bench/gpu-pipeline.sh [plumbing|overhead ...]   (default: both)
# Environment: EMBEDLINE_GPU_BUNDLE, PYTHON (bench/gpu/env.sh), OUT (results folder, default bench/results: each
#   result is copied there as <name>-gpu.json and .md), PLUMBING_PASSAGES (100000), OVERHEAD_PASSAGES (200000),
#   RUNS (3), TOKENIZER_THREADS (8), INFERENCE_THREADS (4); PLUMBING_ARGS and OVERHEAD_ARGS, more flags for that
#   benchmark (e.g. OVERHEAD_ARGS='--concurrency 8 --skip-finalize').
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/gpu/env.sh
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(plumbing overhead)
for step in "${steps[@]}"; do
  [[ $step == plumbing || $step == overhead ]] || fail "unknown step '$step' (plumbing or overhead)"
done
use_gpu_bundle
check_gpu_runtime
find_cuda_libraries
command -v redis-server >/dev/null ||
  fail "redis-server is not on PATH (bench/gpu/pack-offline.sh --pipeline puts one in the bundle's bin/)"
say "redis-server: $(redis-server --version | head -n1)"

out=${OUT:-bench/results}
runs=${RUNS:-3}
device=(--provider cuda --inference-threads "${INFERENCE_THREADS:-4}" --tokenizer-threads "${TOKENIZER_THREADS:-8}")

keep_result() {
  mkdir -p "$out"
  cp "bench/results/$1.json" "$out/$1-gpu.json"
  cp "bench/out/$1.md" "$out/$1-gpu.md"
  say "written: $out/$1-gpu.json, $out/$1-gpu.md"
}

for step in "${steps[@]}"; do
  case $step in
    plumbing)
      ensure_bench_model .cache/models/bench-nano nano ''
      node --import tsx bench/pipeline/plumbing.ts "${device[@]}" --runs "$runs" \
        --passages "${PLUMBING_PASSAGES:-100000}" --threads 4 ${PLUMBING_ARGS:-}
      keep_result pipeline-plumbing
      ;;
    overhead)
      ensure_bench_model .cache/models/bench-distilbert-base base fp16,O4 # the set bench/gpu.sh builds: one build serves both
      node --import tsx bench/pipeline/overhead.ts "${device[@]}" --variant O4 --runs "$runs" \
        --model .cache/models/bench-distilbert-base --passages "${OVERHEAD_PASSAGES:-200000}" --shard-size 1000 \
        --threads 4 --max-batch-tokens 65536 ${OVERHEAD_ARGS:-}
      keep_result pipeline-overhead
      ;;
  esac
done
