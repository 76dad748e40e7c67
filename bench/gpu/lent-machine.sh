#!/usr/bin/env bash
# bench/gpu-pipeline.sh on a lent GPU machine that has no network and takes the working tree plus at most 64 MiB
# per call (the device tool's limit): pack here with
#   bench/gpu/pack-offline.sh --pipeline --sm 90 --part-mb 44 .cache/gpu-pipeline
# then make one call per group of parts, each carrying its parts, back to back while the machine is warm:
#   bench/gpu/lent-machine.sh stash PART...   keep the carried parts in /tmp (the checkout is re-copied each call);
#                                             the first stash also starts building the nano and DistilBERT-base
#                                             benchmark models in the background with the machine's own PyTorch
#   bench/gpu/lent-machine.sh unpack          join the parts into the bundle and put the CUDA provider in it (once)
#   bench/gpu/lent-machine.sh run [STEP...]   unpack, wait for each step's model, then bench/gpu-pipeline.sh STEP...
#                                             with OUT=$OUT
# Environment: LENT_MACHINE_DIR, where parts, bundle and models go (/tmp; the checkout is re-copied each call);
# MODELS, the benchmark models the first stash builds ("nano base"; plumbing needs nano, overhead
# base); for run: RUNS_PLUMBING (2), RUNS_OVERHEAD (3), and bench/gpu-pipeline.sh's own variables.
set -euo pipefail
cd "$(dirname "$0")/../.."
base=${LENT_MACHINE_DIR:-/tmp}
parts=$base/embedline-parts
bundle=$base/embedline-bundle
models=$base/embedline-models
tools=$base/embedline-tools
say() { printf '[lent-machine %s] %s\n' "$(date +%T)" "$*" >&2; }

# Builds the models from a copy of the checkout, which the next call's transfer does not touch.
build_models_in_background() {
  [ ! -e "$models" ] || return 0
  mkdir -p "$models"
  local wanted=" ${MODELS:-nano base} " build=''
  [[ $wanted != *' nano '* ]] || build+="
    python3 tools/reference/make_bench_model.py --shape nano --out $models/bench-nano >$models/nano.log 2>&1
    echo \$? >$models/nano.exit-code"
  [[ $wanted != *' base '* ]] || build+="
    python3 tools/reference/make_bench_model.py --shape base --out $models/bench-distilbert-base \
      --variants fp16,O4 >$models/base.log 2>&1
    echo \$? >$models/base.exit-code"
  [ -n "$build" ] || return 0
  rm -rf "$tools" && mkdir -p "$tools/libs/encoder"
  cp -a tools data "$tools/" && cp -a libs/encoder/fixtures "$tools/libs/encoder/"
  setsid nohup bash -c "cd $tools$build" </dev/null >/dev/null 2>&1 &
  say "building the benchmark models (${MODELS:-nano base}) in the background into $models"
}

stash() {
  mkdir -p "$parts"
  for part in "$@"; do cp "$part" "$parts/"; done
  say "parts held: $(cd "$parts" && ls | paste -sd' ')"
  build_models_in_background
}

unpack_once() {
  [ ! -x "$bundle/bin/node" ] || return 0
  local unxz=(xz -dc)
  command -v xz >/dev/null ||
    unxz=(python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.stdin.buffer), sys.stdout.buffer)')
  mkdir -p "$bundle"
  cat "$parts"/embedline-gpu.tar.xz.part-* | "${unxz[@]}" | tar -x -C "$bundle"
  cat "$parts"/libonnxruntime_providers_cuda.so.xz.part-* | "${unxz[@]}" \
    >"$bundle/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so"
  say "unpacked: $(cat "$bundle/MANIFEST")"
}

# plumbing needs the nano model, overhead the DistilBERT-base one (built second).
wait_for_model() {
  local shape=$1 waited=0
  while [ ! -f "$models/$shape.exit-code" ]; do
    if ((waited % 30 == 0)); then say "waiting for the $shape benchmark model"; fi
    sleep 2
    waited=$((waited + 2))
  done
  [ "$(cat "$models/$shape.exit-code")" = 0 ] || {
    tail -n 30 "$models/$shape.log" >&2
    say "error: building the $shape benchmark model failed"
    return 2
  }
  mkdir -p .cache
  [ -L .cache/models ] || { rm -rf .cache/models && ln -s "$models" .cache/models; }
  say "$shape model ready"
}

run_steps() {
  unpack_once
  local steps=("$@") out=${OUT:?OUT is the folder results come back in}
  [ ${#steps[@]} -gt 0 ] || steps=(plumbing overhead)
  for step in "${steps[@]}"; do
    local runs=${RUNS_PLUMBING:-2}
    [ "$step" != overhead ] || runs=${RUNS_OVERHEAD:-3}
    local shape=nano
    [ "$step" != overhead ] || shape=base
    wait_for_model "$shape" || continue
    say "bench/gpu-pipeline.sh $step (RUNS=$runs)"
    RUNS=$runs EMBEDLINE_GPU_BUNDLE=$bundle OUT=$out bench/gpu-pipeline.sh "$step" 2>&1 | tee "$out/$step.log" ||
      say "error: $step failed (its log: $step.log)"
  done
}

case ${1:-} in
  stash) shift && stash "$@" ;;
  unpack) unpack_once ;;
  run) shift && set -o pipefail && run_steps "$@" ;;
  *) echo 'usage: bench/gpu/lent-machine.sh stash PART... | unpack | run [plumbing|overhead ...]' >&2 && exit 2 ;;
esac
