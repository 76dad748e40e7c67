"""One benchmark process for sentence-transformers (PyTorch): the reference every other system
is compared against. Same protocol as bench/encoder/systems/*.ts (see bench/encoder/protocol.ts):

  tools/.venv/bin/python tools/bench/st_encode.py --passages F --model DIR --threads N --out PREFIX
      [--warmup 32] [--batch-size 32] [--device cpu|cuda] [--dtype fp32|fp16]

On a GPU (the peer of bench/gpu/run.ts): --device cuda --dtype fp16 --batch-size 256, the usual way to run
sentence-transformers fast on a GPU (half-precision weights, large batches, its own length sorting).

Loads the model, encodes the first --warmup texts untimed, times model.encode(all texts) once, and
writes PREFIX.f32 (count x dim float32, little-endian, input order), PREFIX.json, and the same JSON
as the last line of stdout.
"""

import argparse
import json
import platform
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passages", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--dtype", choices=["fp32", "fp16"], default="fp32")
    args = ap.parse_args()

    import numpy as np
    import torch

    # Threads are set before anything runs in torch: intra-op = all cores, like the other systems.
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)

    import sentence_transformers
    import transformers
    from sentence_transformers import SentenceTransformer

    with open(args.passages, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]

    t0 = time.perf_counter()
    model = SentenceTransformer(args.model, device=args.device)
    if args.dtype == "fp16":
        model.half()
    model.eval()
    load_seconds = time.perf_counter() - t0

    def encode(batch):
        return model.encode(batch, batch_size=args.batch_size, convert_to_numpy=True, show_progress_bar=False)

    encode(texts[: args.warmup])
    t0 = time.perf_counter()
    vectors = encode(texts)  # to numpy: waits for the GPU
    seconds = time.perf_counter() - t0

    # Untimed: tokens the model saw, through sentence-transformers' own tokenize (its truncation).
    tokens = 0
    for start in range(0, len(texts), 256):
        features = model.tokenize(texts[start : start + 256])
        tokens += int(features["attention_mask"].sum())

    vectors = np.ascontiguousarray(vectors, dtype="<f4")
    vectors.tofile(args.out + ".f32")
    result = {
        "system": "sentence-transformers",
        "passages": len(texts),
        "tokens": tokens,
        "seconds": seconds,
        "loadSeconds": load_seconds,
        "dimension": int(vectors.shape[1]),
        "threads": torch.get_num_threads(),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "sentence-transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "numpy": np.__version__,
        },
        "settings": {
            "batchSize": args.batch_size,
            "maxSeqLength": int(model.max_seq_length),
            "device": torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu",
            "dtype": args.dtype,
            "torchThreads": torch.get_num_threads(),
            "mkldnn": bool(torch.backends.mkldnn.is_available()),
        },
    }
    with open(args.out + ".json", "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
