# syntax=docker/dockerfile:1.7
# Embedline embedding worker, CPU (onnxruntime-node's bundled CPU provider). Build from the repository root:
#   docker build -f infra/docker/worker-cpu.Dockerfile -t embedline/worker-cpu .
# Model: mount a sentence-transformers folder at /opt/embedline/model (EMBEDLINE_MODEL_DIR), or bake one in:
#   --build-arg MODEL_REPO=sentence-transformers/msmarco-distilbert-cos-v5 --build-arg MODEL_VARIANTS=qint8_avx512_vnni,fp32
# The apps run TypeScript through tsx (no compile step), so the image holds the sources, production
# node_modules of this app only, and tsx.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim
ARG TSX_VERSION=4.23.15

# Only the package manifests, so that `npm ci` below is re-run only when dependencies change.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /out && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /out/ \; \
 && cp package-lock.json .npmrc /out/

FROM ${NODE_IMAGE} AS deps
ARG TSX_VERSION
WORKDIR /app
COPY --from=manifests /out/ ./
# Production dependencies of apps/worker (and the libs it uses) only; tsx runs the TypeScript sources.
# onnxruntime-node ships binaries for every OS: keep this platform's only (~240 MB saved).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund -w apps/worker \
 && npm install --no-save --omit=dev --no-audit --no-fund -w apps/worker tsx@${TSX_VERSION} \
 && ort=node_modules/onnxruntime-node/bin/napi-v6 && arch=$(node -p process.arch) \
 && mv "$ort/linux/$arch" /tmp/ort && rm -rf "$ort"/* && mkdir -p "$ort/linux" && mv /tmp/ort "$ort/linux/$arch"

# Optional: a model baked in at build time (empty MODEL_REPO = mount one at run time instead).
FROM deps AS model
ARG MODEL_REPO=""
ARG MODEL_REVISION=main
ARG MODEL_VARIANTS=fp32
COPY libs/encoder libs/encoder
COPY infra/docker/fetch-model.ts infra/docker/fetch-model.ts
RUN mkdir -p /opt/embedline/model \
 && if [ -n "$MODEL_REPO" ]; then \
      node --import tsx infra/docker/fetch-model.ts "$MODEL_REPO" "$MODEL_REVISION" "$MODEL_VARIANTS" /opt/embedline/model; \
    fi

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
COPY --from=deps /app/ ./
COPY libs/ libs/
COPY apps/worker/ apps/worker/
COPY --from=model /opt/embedline/model/ /opt/embedline/model/
# The node image's unprivileged user (uid 1000); nothing under /app is writable by it.
RUN mkdir -p /var/lib/embedline && chown node:node /var/lib/embedline
USER node
# The model folder is always explicit in a container: baked in above, or mounted over it. Neither = the
# worker stops at start with an error naming the folder (never a silent fallback to another model).
ENV EMBEDLINE_MODEL_DIR=/opt/embedline/model \
    EMBEDLINE_MODEL_VARIANT=fp32 \
    EMBEDLINE_PROVIDER=cpu \
    EMBEDLINE_LANCEDB_DIR=/var/lib/embedline/lancedb \
    EMBEDLINE_WORKER_METRICS_PORT=9464
# /healthz, /readyz and /metrics (one worker process per container, so one fixed port).
EXPOSE 9464
ENTRYPOINT ["node", "--import", "tsx", "apps/worker/src/main.ts"]
