#!/usr/bin/env bash
# Without Docker: lays out what the producer and worker-cpu images hold (the same npm commands as
# infra/docker/*.Dockerfile: production dependencies of one app + tsx, libs/ and the app's sources,
# onnxruntime's binaries dropped from the producer) in scratch folders, then runs the pipeline across
# the two: a private redis-server, the worker on the bundled reference model, the producer ingesting
# data/vaswani into LanceDB with --follow. Exits 0 when the collection is finalized.
# Needs redis-server and the npm registry (or a warm npm cache). Run from anywhere:
#   bash infra/tools/image-layout-smoke.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
tsx_version=$(node -p "require('$repo/package.json').devDependencies.tsx")
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
worker_pid=""
cleanup() {
  [ -n "$worker_pid" ] && kill -TERM "$worker_pid" 2>/dev/null && wait "$worker_pid" 2>/dev/null || true
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

for app in worker producer; do
  dir="$work/$app"
  mkdir -p "$dir"
  (cd "$repo" && find . -name package.json -not -path '*/node_modules/*' -not -path './.*' -not -path '*/.venv/*' -exec cp --parents {} "$dir/" \; \
    && cp package-lock.json .npmrc "$dir/")
  (cd "$dir" && npm ci --omit=dev --no-audit --no-fund --prefer-offline -w "apps/$app" >/dev/null \
    && npm install --no-save --omit=dev --no-audit --no-fund --prefer-offline -w "apps/$app" "tsx@$tsx_version" >/dev/null)
  (cd "$repo" && tar --exclude=node_modules --exclude='*.test.ts' -cf - libs "apps/$app") | tar -xf - -C "$dir"
  # As the Dockerfiles do: the producer never runs a model; the worker keeps only this platform's binaries.
  ort="$dir/node_modules/onnxruntime-node/bin/napi-v6"
  if [ "$app" = producer ]; then rm -rf "$dir/node_modules/onnxruntime-node/bin"; else
    arch=$(node -p process.arch); mv "$ort/linux/$arch" "$work/ort" && rm -rf "${ort:?}"/* && mkdir -p "$ort/linux" && mv "$work/ort" "$ort/linux/$arch"; fi
  echo "$app: production node_modules $(du -sh "$dir/node_modules" | cut -f1)"
done

redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" --daemonize yes >/dev/null
export EMBEDLINE_REDIS_URL="redis://127.0.0.1:$port" EMBEDLINE_STORE=lancedb EMBEDLINE_LANCEDB_DIR="$work/lancedb" LOG_LEVEL=warn
(cd "$work/worker" && EMBEDLINE_MODEL_DIR="$work/worker/libs/encoder/fixtures/tiny-model" \
  node --import tsx apps/worker/src/main.ts) &
worker_pid=$!
cd "$work/producer"
node --import tsx apps/producer/src/main.ts ingest "$repo/data/vaswani/doc-text.trec" --collection vaswani \
  --shard-size 500 --rejects "$work/rejects.jsonl" --follow --no-progress
