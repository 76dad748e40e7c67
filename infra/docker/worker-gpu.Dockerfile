# syntax=docker/dockerfile:1.7
# Embedline embedding worker, NVIDIA GPU (onnxruntime's CUDA execution provider). One worker process per
# GPU. Build from the repository root:
#   docker build -f infra/docker/worker-gpu.Dockerfile -t embedline/worker-gpu .
# Model: mount at /opt/embedline/model (EMBEDLINE_MODEL_DIR), or bake in with
#   --build-arg MODEL_REPO=sentence-transformers/msmarco-distilbert-cos-v5 --build-arg MODEL_VARIANTS=O4,fp32
#
# The CUDA provider. onnxruntime-node's npm package has no CUDA provider for linux-x64: its install
# script downloads libonnxruntime_providers_cuda.so / _shared.so (NuGet Microsoft.ML.OnnxRuntime.Gpu.Linux
# of the same version). The repository's .npmrc skips that download (offline machines), so it is run here
# explicitly. ORT_CUDA_SOURCE picks where the two libraries come from:
#   install (default)  onnxruntime-node's own script/install.js (ONNXRUNTIME_NODE_INSTALL=cuda12 overrides
#                      .npmrc's skip; "cuda12" is the script's manifest name, the libraries it fetches are
#                      whatever CUDA major that ORT release is built for); needs api.nuget.org at build time
#   wheel              the same-version onnxruntime-gpu wheel from PyPI (onnxruntime/capi/*.so)
#   local              a folder holding the two .so files: --build-context ort-cuda-files=/path/to/folder
# onnxruntime 1.30.0's CUDA provider links libcudart.so.13 / libcublas.so.13 (checked with readelf on the
# 1.30.0 wheel): the base image must be CUDA 13 + cuDNN 9, and the node's driver must support CUDA 13.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04
ARG ORT_VERSION=1.30.0
ARG ORT_CUDA_SOURCE=install
ARG TSX_VERSION=4.23.15

FROM ${NODE_IMAGE} AS node

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
    npm ci --omit=dev --no-audit --no-fund -w apps/worker \
 && npm install --no-save --omit=dev --no-audit --no-fund -w apps/worker tsx@${TSX_VERSION} \
 && ort=node_modules/onnxruntime-node/bin/napi-v6 && arch=$(node -p process.arch) \
 && mv "$ort/linux/$arch" /tmp/ort && rm -rf "$ort"/* && mkdir -p "$ort/linux" && mv /tmp/ort "$ort/linux/$arch"

# --- the CUDA provider libraries, three ways (only the chosen stage is built) ---
FROM deps AS ort-cuda-install
RUN ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js \
 && mkdir /ort-cuda \
 && cp node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so \
       node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_shared.so /ort-cuda/

FROM python:3.12-slim-bookworm AS ort-cuda-wheel
ARG ORT_VERSION
RUN pip download --no-deps --only-binary=:all: --dest /wheel "onnxruntime-gpu==${ORT_VERSION}" \
 && mkdir /ort-cuda \
 && python -c "import sys, zipfile, pathlib; z = zipfile.ZipFile(next(pathlib.Path('/wheel').glob('*.whl'))); [pathlib.Path('/ort-cuda', pathlib.Path(n).name).write_bytes(z.read(n)) for n in z.namelist() if n.endswith(('libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'))]" \
 && test -s /ort-cuda/libonnxruntime_providers_cuda.so && test -s /ort-cuda/libonnxruntime_providers_shared.so

# Overridden by --build-context ort-cuda-files=/folder/with/the/two/.so (empty otherwise, and then refused).
FROM scratch AS ort-cuda-files
FROM ${NODE_IMAGE} AS ort-cuda-local
COPY --from=ort-cuda-files / /ort-cuda/
RUN test -s /ort-cuda/libonnxruntime_providers_cuda.so && test -s /ort-cuda/libonnxruntime_providers_shared.so

FROM ort-cuda-${ORT_CUDA_SOURCE} AS ort-cuda

FROM deps AS model
ARG MODEL_REPO=""
ARG MODEL_REVISION=main
ARG MODEL_VARIANTS=O4,fp32
COPY libs/encoder libs/encoder
COPY infra/docker/fetch-model.ts infra/docker/fetch-model.ts
RUN mkdir -p /opt/embedline/model \
 && if [ -n "$MODEL_REPO" ]; then \
      node --import tsx infra/docker/fetch-model.ts "$MODEL_REPO" "$MODEL_REVISION" "$MODEL_VARIANTS" /opt/embedline/model; \
    fi

FROM ${CUDA_IMAGE} AS runtime
# Node from the official image (same build as the other images); Ubuntu's glibc is newer than Debian
# bookworm's, which the binary needs at least.
COPY --from=node /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=deps /app/ ./
COPY --from=ort-cuda /ort-cuda/ node_modules/onnxruntime-node/bin/napi-v6/linux/x64/
COPY libs/ libs/
COPY apps/worker/ apps/worker/
COPY --from=model /opt/embedline/model/ /opt/embedline/model/
RUN useradd --uid 10001 --create-home --shell /usr/sbin/nologin embedline \
 && mkdir -p /var/lib/embedline && chown embedline:embedline /var/lib/embedline
USER embedline
# One GPU per process: Kubernetes (nvidia.com/gpu: 1) and compose expose exactly one device, ordinal 0.
ENV EMBEDLINE_MODEL_DIR=/opt/embedline/model \
    EMBEDLINE_MODEL_VARIANT=O4 \
    EMBEDLINE_PROVIDER=cuda \
    EMBEDLINE_DEVICE_ID=0 \
    EMBEDLINE_LANCEDB_DIR=/var/lib/embedline/lancedb \
    EMBEDLINE_WORKER_METRICS_PORT=9464
# /healthz, /readyz and /metrics (one worker process per container, so one fixed port).
EXPOSE 9464
ENTRYPOINT ["node", "--import", "tsx", "apps/worker/src/main.ts"]
