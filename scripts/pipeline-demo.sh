#!/usr/bin/env bash
# The main job end to end on one machine, on the embedded store: a Redis of its own, two embedding worker
# processes, the producer ingesting a corpus into a collection (default: the bundled Vaswani abstracts),
# following it until finalize, then `embedline eval` with the corpus's queries and judgements.
#
#   npm run demo:pipeline                     # or: bash scripts/pipeline-demo.sh [CORPUS] [COLLECTION]
#
# Redis: a private redis-server on a free port (nothing kept on disk) unless EMBEDLINE_REDIS_URL is set.
# Store: EMBEDLINE_LANCEDB_DIR (default .embedline/lancedb). Model: as `npm run demo` (README, "Which model
# runs"). Workers: EMBEDLINE_DEMO_WORKERS (default 2). Running it again resumes: done shards are not redone.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-data/vaswani/doc-text.trec}
collection=${2:-vaswani}
workers=${EMBEDLINE_DEMO_WORKERS:-2}
pids=()
redis_dir=

cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -z "$redis_dir" ] || { redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$redis_dir"; }
}
trap cleanup EXIT

if [ -z "${EMBEDLINE_REDIS_URL:-}" ]; then
  command -v redis-server >/dev/null || { echo "pipeline-demo: needs redis-server, or EMBEDLINE_REDIS_URL" >&2; exit 2; }
  redis_port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  redis_dir=$(mktemp -d)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$redis_dir" --daemonize yes \
    --logfile "$redis_dir/redis.log" >/dev/null
  export EMBEDLINE_REDIS_URL="redis://127.0.0.1:$redis_port"
  until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.1; done
  echo "pipeline-demo: private Redis at $EMBEDLINE_REDIS_URL"
fi

for ((i = 1; i <= workers; i++)); do
  LOG_LEVEL=${LOG_LEVEL:-warn} node --import tsx apps/worker/src/main.ts &
  pids+=($!)
done
echo "pipeline-demo: $workers worker processes started; ingesting $corpus into '$collection'"
mkdir -p .embedline
node --import tsx apps/producer/src/main.ts ingest "$corpus" --collection "$collection" --follow --no-progress \
  --rejects ".embedline/$collection.rejects.jsonl"
node --import tsx apps/producer/src/main.ts status "$collection"

queries=$(dirname "$corpus")/query-text.trec
qrels=$(dirname "$corpus")/qrels
if [ -f "$queries" ] && [ -f "$qrels" ]; then
  node --import tsx apps/cli/src/main.ts eval --collection "$collection" --queries "$queries" --qrels "$qrels" \
    --run ".embedline/$collection.run" --ann-recall 20
fi
