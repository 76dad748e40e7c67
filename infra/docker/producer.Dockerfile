# syntax=docker/dockerfile:1.7
# Embedline producer (apps/producer): `ingest` cuts a corpus into shard jobs on the queue, `status` shows
# progress. No model, no onnxruntime at run time. Build from the repository root:
#   docker build -f infra/docker/producer.Dockerfile -t embedline/producer .
#   docker run --rm embedline/producer status msmarco
# The sample corpus data/vaswani (MPL-2.0, 11,429 abstracts) is in the image at /app/data/vaswani.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim
ARG TSX_VERSION=4.23.15

FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /out && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /out/ \; \
 && cp package-lock.json .npmrc /out/

FROM ${NODE_IMAGE} AS deps
ARG TSX_VERSION
WORKDIR /app
COPY --from=manifests /out/ ./
# The producer imports @embedline/pipeline, whose package depends on the encoder: onnxruntime-node is
# installed but never loaded by the producer, so its native binaries are dropped entirely.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund -w apps/producer \
 && npm install --no-save --omit=dev --no-audit --no-fund -w apps/producer tsx@${TSX_VERSION} \
 && rm -rf node_modules/onnxruntime-node/bin

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
COPY --from=deps /app/ ./
COPY libs/ libs/
COPY apps/producer/ apps/producer/
COPY data/vaswani/ data/vaswani/
RUN mkdir -p /var/lib/embedline && chown node:node /var/lib/embedline
USER node
# `ingest` writes rejected records next to the corpus unless --rejects FILE says where: with a read-only
# corpus, pass --rejects /var/lib/embedline/<name>.rejects.jsonl (a writable volume).
ENV EMBEDLINE_LANCEDB_DIR=/var/lib/embedline/lancedb
ENTRYPOINT ["node", "--import", "tsx", "apps/producer/src/main.ts"]
CMD ["--help"]
