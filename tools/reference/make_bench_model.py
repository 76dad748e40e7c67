#!/usr/bin/env python3
"""Write a benchmark model: a DistilBERT shape with seeded random weights and the real tokenizer.

Two shapes (--shape), both with the real bert-base-uncased tokenizer from
libs/encoder/fixtures/bert-base-uncased, in the same hub layout and with the same ONNX export as
the tiny fixture model, so the encoder's loader reads them. Each folder is also a transformers.js
model folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx).

- base (default): the real DistilBERT-base shape (6 layers, dim 768, 12 heads, hidden_dim 3072,
  512 positions) -> .cache/models/bench-distilbert-base. msmarco-distilbert-cos-v5 cannot be
  downloaded here, but its cost can be reproduced. About 530 MB.
- nano: 1 layer, dim 32, 2 heads, hidden_dim 64, 512 positions -> .cache/models/bench-nano. The
  cheapest real encoder, for the plumbing ceiling (bench/pipeline/plumbing.ts): the
  tokenizer and the pipeline around the model cost what they cost with a real model. About 10 MB.

Also writes reference-embeddings.json: 20 texts with their input_ids and the embeddings
SentenceTransformer.encode() gives, for a quick parity check of the encoder on the model.

The weights are random, so the embeddings mean nothing: use it for speed and memory, and for
parity with sentence-transformers, never for retrieval quality. Not committed.

Usage (from the repository root):

    tools/.venv/bin/python tools/reference/make_bench_model.py [--shape base|nano] [--out DIR] [--variants fp16,O1,O2,O3,O4]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import onnx
import torch
from tokenizers import Tokenizer
from transformers import DistilBertConfig, DistilBertModel, DistilBertTokenizer
from transformers.models.bert.tokenization_bert import load_vocab

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (the sibling module, after the path tweak above)

SEED = 20240607
MODELS_DIR = common.REPO_ROOT / ".cache" / "models"


@dataclass(frozen=True)
class Shape:
    """One benchmark model: its DistilBERT shape, output folder name, and ONNX vs PyTorch tolerance."""

    name: str
    dim: int
    n_layers: int
    n_heads: int
    hidden_dim: int
    # Max |ONNX - PyTorch| of last_hidden_state allowed: more and wider layers accumulate more float error.
    onnx_atol: float

    @property
    def default_out(self) -> Path:
        return MODELS_DIR / self.name

    def config(self) -> DistilBertConfig:
        """DistilBERT's own initializer_range (0.02); the bert-base-uncased vocabulary and 512 positions."""
        return DistilBertConfig(
            vocab_size=30522,
            dim=self.dim,
            n_layers=self.n_layers,
            n_heads=self.n_heads,
            hidden_dim=self.hidden_dim,
            max_position_embeddings=512,
            pad_token_id=0,
        )


SHAPES = {
    # distilbert-base-uncased, the base of msmarco-distilbert-cos-v5 (measured diff 2.4e-6).
    "base": Shape("bench-distilbert-base", dim=768, n_layers=6, n_heads=12, hidden_dim=3072, onnx_atol=1e-4),
    # The cheapest real encoder; one 32-wide layer, as tight as the tiny fixture's limit.
    "nano": Shape("bench-nano", dim=32, n_layers=1, n_heads=2, hidden_dim=64, onnx_atol=1e-5),
}
REQUIRED_FILES = [
    "modules.json", "sentence_bert_config.json", "config.json", "config_sentence_transformers.json",
    "1_Pooling/config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
    "special_tokens_map.json", "model.safetensors", "onnx/model.onnx",
]  # fmt: skip


def reference_texts() -> list[tuple[str, str]]:
    """20 (name, text) pairs: edge cases, real abstracts and queries, and texts past 384 tokens."""
    vaswani = common.read_vaswani_docs()
    queries = common.read_vaswani_queries()
    mpl = common.licence_texts()[0][1]
    return [
        ("empty", ""),
        ("short-ascii", "The quick brown fox jumps over the lazy dog."),
        ("mixed-case-punctuation", "Hello, World! How's it going? (Fine.) [ok] --==++ !!!???..."),
        ("numbers-url", "In 2024, 3.14159 and 1,000,000; see https://example.com/path?q=1&x=y#frag."),
        ("accents", "café naïve résumé Ångström Crème brûlée"),
        ("cjk", "中文 日本語 한국어"),
        ("emoji", "I love it 😀👍 🎉🎉🎉"),
        ("control-chars", "before\u0000after\u0001 \ufffd e\u0301 \t\n tabs"),
        ("word-over-100-chars", "antidisestablishmentarianism" * 4),
        ("special-token-strings", "[CLS] [SEP] [MASK]"),
        ("vaswani-query-1", queries[0][1]),
        ("vaswani-query-2", queries[1][1]),
        ("vaswani-doc-1", vaswani[0][1]),
        ("vaswani-doc-2", vaswani[1][1]),
        ("vaswani-doc-3", vaswani[2][1]),
        ("vaswani-doc-100", vaswani[99][1]),
        ("vaswani-doc-1000", vaswani[999][1]),
        ("long-vaswani-joined", "\n\n".join(text for _, text in vaswani[1000:1012])),
        ("long-mpl", mpl[:8000]),
        ("huge-1mb", (mpl * (1_000_000 // len(mpl) + 1))[:1_000_000]),
    ]


def build_model(work_dir: Path, shape: Shape):
    """Seeded random DistilBERT of `shape` with the bert-base-uncased tokenizer, as a SentenceTransformer."""
    vocab_file = common.BERT_BASE_DIR / "vocab.txt"
    tokenizer = DistilBertTokenizer(vocab=load_vocab(str(vocab_file)), do_lower_case=True, model_max_length=512)
    torch.manual_seed(SEED)
    hf_dir = work_dir / "hf"
    DistilBertModel(shape.config()).eval().save_pretrained(str(hf_dir))
    tokenizer.save_pretrained(str(hf_dir))
    return common.build_sentence_transformer(hf_dir), vocab_file


def check_tokenizer_matches_fixture(model, texts: list[str]) -> None:
    """The saved tokenizer must tokenize as the committed bert-base-uncased tokenizer.json does."""
    fixture = Tokenizer.from_file(str(common.BERT_BASE_DIR / "tokenizer.json"))
    fixture.enable_truncation(common.MAX_SEQ_LENGTH)
    for text in texts:
        assert fixture.encode(text).ids == common.tokenize(model, text), f"tokenizer differs on {text[:60]!r}"


def write_fp16(fp32: Path, shape: Shape) -> Path:
    """onnx/model_fp16.onnx: fp16 weights and compute, int64 inputs and float32 output kept (as the tiny fixture's)."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    fp16 = fp32.with_name("model_fp16.onnx")
    onnx.save(convert_float_to_float16(onnx.load(str(fp32)), keep_io_types=True), str(fp16))
    onnx.checker.check_model(str(fp16))
    return fp16


def write_optimized(fp32: Path, shape: Shape, level: str) -> Path:
    """onnx/model_<level>.onnx for level O1, O2 or O3, as Hugging Face Optimum's ORTOptimizer writes them with
    AutoOptimizationConfig.O1/O2/O3 for CPU (optimize_model's arguments are Optimum's; we do not depend on Optimum):

    - O1: onnxruntime's basic graph optimizations only (constant folding, redundant-node elimination), saved offline;
      no transformer fusion.
    - O2: onnxruntime's extended optimizations, then the Python transformer fusions of model_type "bert" (Attention,
      SkipLayerNormalization, BiasGelu, LayerNormalization), exact GELU (erf). EmbedLayerNormalization stays off, as in
      Optimum. The attention mask becomes a per-row length (mask index): right padding assumed, which every system
      here uses.
    - O3: O2 with the GELU approximated by FastGelu (tanh): a cheaper GELU, not the same function.

    The fused graphs use onnxruntime's contrib ops (com.microsoft domain): they are files for onnxruntime.
    """
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    if level == "O1":
        optimized = optimize_model(
            str(fp32), model_type="bert", num_heads=shape.n_heads, hidden_size=shape.dim, opt_level=1,
            use_gpu=False, only_onnxruntime=True,
        )  # fmt: skip
    else:
        options = FusionOptions("bert")
        options.enable_embed_layer_norm = False
        options.enable_gelu_approximation = level == "O3"
        optimized = optimize_model(
            str(fp32), model_type="bert", num_heads=shape.n_heads, hidden_size=shape.dim, opt_level=2,
            optimization_options=options, use_gpu=False,
        )  # fmt: skip
    path = fp32.with_name(f"model_{level}.onnx")
    # No onnx.checker here: onnxruntime writes LayerNormalization in the default domain at opset 14 (a standard op
    # only from opset 17; onnxruntime registers it for older opsets itself), which the checker refuses. onnxruntime
    # runs the file: main() compares its embeddings with model.onnx's.
    optimized.save_model_to_file(str(path))
    fused = {op: n for op, n in optimized.get_fused_operator_statistics().items() if n}
    print(f"  {path.name} fused operators: {fused or 'none'}")
    return path


def write_o4(fp32: Path, shape: Shape) -> Path:
    """onnx/model_O4.onnx, the GPU variant the hub publishes for sentence-transformers models: Optimum's O4 is
    onnxruntime's transformer fusions (attention, skip-layer-norm, bias-GELU, approximate GELU) then fp16."""
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(
        str(fp32), model_type="bert", num_heads=shape.n_heads, hidden_size=shape.dim, opt_level=0
    )
    optimized.convert_float_to_float16(keep_io_types=True)
    o4 = fp32.with_name("model_O4.onnx")
    optimized.save_model_to_file(str(o4))
    print(f"  {o4.name} fused operators: {optimized.get_fused_operator_statistics()}")
    return o4


VARIANT_WRITERS = {
    "fp16": write_fp16,
    "O1": partial(write_optimized, level="O1"),
    "O2": partial(write_optimized, level="O2"),
    "O3": partial(write_optimized, level="O3"),
    "O4": write_o4,
}
# Variants that compute the same function as model.onnx (only the graph differs): their sentence embeddings must stay
# this close (max |diff| of the unit vectors) to model.onnx's. fp16 rounds the weights, O3 approximates GELU, O4 both.
EXACT_VARIANT_ATOL = {"O1": 1e-5, "O2": 1e-5}


def prepare_out_dir(out: Path) -> None:
    """Start from an empty folder; refuse to wipe a non-empty one that is not an earlier output."""
    if out.exists() and any(out.iterdir()):
        if not (out / "modules.json").exists():
            sys.exit(f"{out} is not empty and holds no earlier benchmark model; choose another --out")
        shutil.rmtree(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--shape",
        choices=sorted(SHAPES),
        default="base",
        help="base: DistilBERT-base (768-d, 6 layers); nano: 32-d, 1 layer, the cheapest real encoder (default: base)",
    )
    parser.add_argument(
        "--out", type=Path, help=f"output folder (default: {MODELS_DIR}/<bench-distilbert-base|bench-nano>)"
    )
    parser.add_argument(
        "--variants",
        default="",
        help="extra ONNX variants, comma-separated: fp16 (onnx/model_fp16.onnx), O1, O2, O3 (CPU graphs, Optimum's "
        "levels), O4 (GPU, fp16) -> onnx/model_<variant>.onnx",
    )
    args = parser.parse_args()
    shape = SHAPES[args.shape]
    out: Path = (args.out or shape.default_out).resolve()
    variants = [v for v in args.variants.split(",") if v]
    unknown = sorted(set(variants) - set(VARIANT_WRITERS))
    if unknown:
        sys.exit(f"--variants: unknown {unknown}; choose from {sorted(VARIANT_WRITERS)}")
    started = time.time()
    common.check_environment()

    cases = reference_texts()
    texts = [text for _, text in cases]
    prepare_out_dir(out)
    print(f"building {shape.name} (seed {SEED})")
    with tempfile.TemporaryDirectory() as tmp:
        model, vocab_file = build_model(Path(tmp), shape)
        common.save_hub_layout(model, out, vocab_file)
    common.check_tokenizer_config(out)
    model = common.check_reload(out, model, texts)
    check_tokenizer_matches_fixture(model, texts + [text for _, text in common.read_vaswani_docs()[:500]])
    dimension = model.get_embedding_dimension()

    print("exporting ONNX")
    onnx_path = out / "onnx" / "model.onnx"
    common.export_onnx(out, onnx_path)
    common.check_onnx_signature(onnx_path, dimension)
    all_ids = [common.tokenize(model, text) for text in texts]
    diff = common.verify_onnx_against_torch(onnx_path, model, all_ids, batch_size=4)
    print(f"  model.onnx vs PyTorch last_hidden_state: max abs diff {diff:.2e}")
    assert diff <= shape.onnx_atol, diff

    print("writing reference-embeddings.json")
    embeddings = model.encode(texts, convert_to_numpy=True)
    delta = common.max_cosine_distance(common.onnx_embeddings(onnx_path, all_ids), embeddings)
    print(f"  model.onnx: max cosine distance to the sentence-transformers embeddings {delta:.3e}")
    document = {
        "model": shape.name,
        "generator": "tools/reference/make_bench_model.py",
        "versions": common.library_versions(),
        "max_seq_length": common.MAX_SEQ_LENGTH,
        "dimension": dimension,
        "cases": [
            common.embedding_case(name, text, ids, embedding)
            for (name, text), ids, embedding in zip(cases, all_ids, embeddings, strict=True)
        ],
    }
    (out / "reference-embeddings.json").write_text(json.dumps(document, ensure_ascii=False) + "\n", encoding="utf-8")

    fp32_embeddings = common.onnx_embeddings(onnx_path, all_ids) if variants else None
    for variant in variants:
        path = VARIANT_WRITERS[variant](onnx_path, shape)
        variant_embeddings = common.onnx_embeddings(path, all_ids)
        delta = common.max_cosine_distance(variant_embeddings, embeddings)
        diff = float(np.abs(variant_embeddings - fp32_embeddings).max())
        print(
            f"  {path.name}: max cosine distance to the sentence-transformers embeddings {delta:.3e}, "
            f"max |diff| to model.onnx's {diff:.2e}"
        )
        limit = EXACT_VARIANT_ATOL.get(variant)
        assert limit is None or diff <= limit, f"{path.name} differs from model.onnx by {diff:.2e} (limit {limit})"

    missing = [name for name in REQUIRED_FILES if not (out / name).is_file()]
    assert not missing, f"missing from the model folder: {missing}"
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({size / 1e6:.1f} MB) in {time.time() - started:.1f}s")
    print(f"  ONNX: {json.dumps(common.describe_onnx(onnx_path))}")
    norms = np.linalg.norm(embeddings, axis=1)
    similarity = (embeddings @ embeddings.T)[~np.eye(len(texts), dtype=bool)]
    print(f"  embedding norms {norms.min():.6f}..{norms.max():.6f}, mean pairwise cosine {similarity.mean():.3f}")


if __name__ == "__main__":
    main()
