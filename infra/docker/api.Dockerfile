# syntax=docker/dockerfile:1.7
# Embedline query API (apps/api): search, embed, collections, /healthz, /readyz, /metrics. It embeds
# queries itself, on CPU, with the same model the workers used. Build from the repository root:
#   docker build -f infra/docker/api.Dockerfile -t embedline/api .
# Model: mount at /opt/embedline/model (EMBEDLINE_MODEL_DIR), or bake in with
#   --build-arg MODEL_REPO=sentence-transformers/msmarco-distilbert-cos-v5 --build-arg MODEL_VARIANTS=fp32
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
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund -w apps/api \
 && npm install --no-save --omit=dev --no-audit --no-fund -w apps/api tsx@${TSX_VERSION} \
 && ort=node_modules/onnxruntime-node/bin/napi-v6 && arch=$(node -p process.arch) \
 && mv "$ort/linux/$arch" /tmp/ort && rm -rf "$ort"/* && mkdir -p "$ort/linux" && mv /tmp/ort "$ort/linux/$arch"

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
COPY apps/api/ apps/api/
COPY --from=model /opt/embedline/model/ /opt/embedline/model/
RUN mkdir -p /var/lib/embedline && chown node:node /var/lib/embedline
USER node
ENV EMBEDLINE_MODEL_DIR=/opt/embedline/model \
    EMBEDLINE_MODEL_VARIANT=fp32 \
    EMBEDLINE_PROVIDER=cpu \
    EMBEDLINE_LANCEDB_DIR=/var/lib/embedline/lancedb \
    EMBEDLINE_API_HOST=0.0.0.0 \
    EMBEDLINE_API_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.EMBEDLINE_API_PORT ?? 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["node", "--import", "tsx", "apps/api/src/main.ts"]
