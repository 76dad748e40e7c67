"""Shared helpers for the reference-fixture generators in tools/reference/.

Everything here is deterministic: the same inputs, seeds and pinned package versions
(tools/reference/requirements.txt) give byte-identical outputs.

The model folders written here follow the layout of the Hugging Face hub model
sentence-transformers/msmarco-distilbert-cos-v5 (saved by sentence-transformers 2.x), which is
what the TypeScript loader in libs/encoder reads. Current sentence-transformers (6.x) saves a
newer layout (``1_Pooling/config.json`` with ``embedding_dimension``/``pooling_mode``, and a
``sentence_bert_config.json`` without ``max_seq_length``), so :func:`save_hub_layout` saves with
``SentenceTransformer.save()`` and then rewrites those few files to the hub's form; the generators
reload the folder with sentence-transformers and check it encodes exactly as the saved model did.
"""

from __future__ import annotations

import gzip
import importlib
import inspect
import io
import json
import re
import sys
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer
from sentence_transformers.base.modules import Normalize, Transformer
from sentence_transformers.sentence_transformer.modules import Pooling

REPO_ROOT = Path(__file__).resolve().parents[2]
VASWANI_DIR = REPO_ROOT / "data" / "vaswani"
BERT_BASE_DIR = REPO_ROOT / "libs" / "encoder" / "fixtures" / "bert-base-uncased"

# msmarco-distilbert-cos-v5 truncates at 384 tokens, [CLS] and [SEP] included.
MAX_SEQ_LENGTH = 384
# The ONNX opset of Hugging Face Optimum's feature-extraction export of DistilBERT.
ONNX_OPSET = 14
# The Python these fixtures were generated with: the stdlib docstrings used as English text
# differ between Python releases, so another Python gives (slightly) different fixtures.
EXPECTED_PYTHON = (3, 11, 7)


# --------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------


def check_environment() -> None:
    """Warn when this is not the Python the committed fixtures were generated with."""
    if sys.version_info[:3] != EXPECTED_PYTHON:
        warnings.warn(
            f"Python {sys.version.split()[0]} differs from {'.'.join(map(str, EXPECTED_PYTHON))}: "
            "its stdlib docstrings (used as English text) differ, so the fixtures will too.",
            stacklevel=2,
        )
    # One thread: float reductions then run in the same order on every machine.
    torch.set_num_threads(1)


def library_versions() -> dict[str, str]:
    """Versions recorded in the fixtures (the packages whose behaviour they pin down)."""
    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "sentence_transformers": sentence_transformers.__version__,
        "tokenizers": tokenizers.__version__,
    }


# --------------------------------------------------------------------------------------------
# Text sources
# --------------------------------------------------------------------------------------------


def read_vaswani_docs() -> list[tuple[int, str]]:
    """(DOCNO, text) of every abstract in data/vaswani/doc-text.trec, in file order."""
    raw = (VASWANI_DIR / "doc-text.trec").read_text(encoding="utf-8")
    pattern = re.compile(r"<DOC>\s*<DOCNO>(\d+)</DOCNO>(.*?)</DOC>", re.S)
    return [(int(num), body.strip()) for num, body in pattern.findall(raw)]


def read_vaswani_queries() -> list[tuple[int, str]]:
    """(num, text) of every query in data/vaswani/query-text.trec, in file order."""
    raw = (VASWANI_DIR / "query-text.trec").read_text(encoding="utf-8")
    pattern = re.compile(r"<top>\s*<num>(\d+)</num>\s*<title>(.*?)</title>\s*</top>", re.S)
    return [(int(num), body.strip()) for num, body in pattern.findall(raw)]


def licence_texts() -> list[tuple[str, str]]:
    """The two licence texts in the repository: real English prose with headings and numbering."""
    return [
        ("mpl-2.0", (VASWANI_DIR / "LICENSE").read_text(encoding="utf-8")),
        ("apache-2.0", (BERT_BASE_DIR / "LICENSE").read_text(encoding="utf-8")),
    ]


# Pure-Python and C stdlib modules whose docstrings are plentiful, mixed-case English prose with
# punctuation, code fragments and numbers. Fixed list and sorted member order: deterministic.
STDLIB_MODULES = [
    "argparse", "ast", "asyncio", "base64", "bisect", "calendar", "collections", "configparser",
    "contextlib", "copy", "csv", "dataclasses", "datetime", "decimal", "difflib", "email.message",
    "enum", "fractions", "ftplib", "functools", "gettext", "gzip", "hashlib", "heapq", "hmac",
    "http.client", "http.cookiejar", "imaplib", "inspect", "io", "ipaddress", "itertools", "json",
    "locale", "logging", "mailbox", "math", "operator", "optparse", "os", "pathlib", "pickle",
    "pprint", "queue", "random", "re", "shlex", "shutil", "smtplib", "socket", "sqlite3",
    "statistics", "string", "struct", "subprocess", "tarfile", "tempfile", "textwrap", "threading",
    "timeit", "tokenize", "traceback", "turtle", "typing", "unittest.case", "urllib.parse",
    "urllib.request", "uuid", "warnings", "weakref", "xml.dom.minidom", "zipfile",
]  # fmt: skip


def stdlib_docstrings() -> list[str]:
    """Every distinct docstring of the modules above and their public classes, functions and
    methods, in a fixed order."""
    docs: list[str] = []
    seen: set[str] = set()

    def add(obj: Any) -> None:
        doc = inspect.getdoc(obj)
        if doc and doc not in seen:
            seen.add(doc)
            docs.append(doc)

    for module_name in STDLIB_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # e.g. a Python built without sqlite3 or tkinter
            continue
        add(module)
        for name in sorted(vars(module)):
            obj = vars(module)[name]
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue  # private, or re-exported from another module
            if inspect.isclass(obj):
                add(obj)
                for member_name in sorted(vars(obj)):
                    if not member_name.startswith("_"):
                        member = vars(obj)[member_name]
                        if callable(member) or isinstance(member, property):
                            add(member)
            elif inspect.isroutine(obj):
                add(obj)
    return docs


def stdlib_paragraphs(docstrings: Iterable[str]) -> list[str]:
    """Prose paragraphs of the docstrings: blank-line separated, at least 8 words, with at least
    one capital letter and one punctuation mark; distinct, in first-seen order."""
    paragraphs: list[str] = []
    seen: set[str] = set()
    for doc in docstrings:
        for paragraph in re.split(r"\n\s*\n", doc):
            paragraph = paragraph.strip()
            if (
                len(paragraph.split()) >= 8
                and re.search(r"[A-Z]", paragraph)
                and re.search(r"[.,;:!?()'\"]", paragraph)
                and paragraph not in seen
            ):
                seen.add(paragraph)
                paragraphs.append(paragraph)
    return paragraphs


def fill_to_token_count(tokenizer: Any, words: Sequence[str], target: int) -> str:
    """A text of the given words (in order, skipping any that would overshoot) whose encoding
    without truncation is exactly `target` ids long, [CLS] and [SEP] included."""
    chosen: list[str] = []
    count = 2  # [CLS] and [SEP]
    for word in words:
        pieces = len(tokenizer(word, add_special_tokens=False)["input_ids"])
        if count + pieces <= target:
            chosen.append(word)
            count += pieces
        if count == target:
            text = " ".join(chosen)
            assert len(tokenizer(text, verbose=False)["input_ids"]) == target
            return text
    raise ValueError(f"not enough words to reach {target} tokens")


# --------------------------------------------------------------------------------------------
# Model folders
# --------------------------------------------------------------------------------------------


def build_sentence_transformer(hf_dir: Path, max_seq_length: int = MAX_SEQ_LENGTH) -> SentenceTransformer:
    """Transformer -> mean Pooling -> Normalize around a Hugging Face model folder: the module
    stack of msmarco-distilbert-cos-v5."""
    transformer = Transformer(str(hf_dir), max_seq_length=max_seq_length)
    pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    return SentenceTransformer(modules=[transformer, pooling, Normalize()], device="cpu")


# The ST 2.x file contents of msmarco-distilbert-cos-v5, which the TypeScript loader reads.
_HUB_MODULE_TYPES = {
    "Transformer": "sentence_transformers.models.Transformer",
    "Pooling": "sentence_transformers.models.Pooling",
    "Normalize": "sentence_transformers.models.Normalize",
}
_SPECIAL_TOKENS_MAP = {
    "unk_token": "[UNK]",
    "sep_token": "[SEP]",
    "pad_token": "[PAD]",
    "cls_token": "[CLS]",
    "mask_token": "[MASK]",
}


def write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def save_hub_layout(model: SentenceTransformer, out_dir: Path, vocab_file: Path) -> None:
    """Save `model` with SentenceTransformer.save() and bring the folder to the hub layout.

    Rewritten: modules.json (ST 2.x module type names), sentence_bert_config.json
    ({max_seq_length, do_lower_case}), 1_Pooling/config.json (word_embedding_dimension and
    pooling_mode_* flags). Added: vocab.txt and special_tokens_map.json, which transformers 5 no
    longer writes. Removed: the generated README.md model card.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))

    modules = json.loads((out_dir / "modules.json").read_text(encoding="utf-8"))
    for entry in modules:
        entry["type"] = _HUB_MODULE_TYPES[entry["type"].rsplit(".", 1)[-1]]
    write_json(out_dir / "modules.json", modules)

    transformer = model[0]
    write_json(
        out_dir / "sentence_bert_config.json",
        # do_lower_case is the *sentence-transformers* flag (lowercase before the tokenizer); the
        # hub model leaves it false because its tokenizer lowercases (tokenizer_config.json).
        {"max_seq_length": transformer.max_seq_length, "do_lower_case": transformer.do_lower_case},
    )

    pooling_dir = next(out_dir / e["path"] for e in modules if e["type"].endswith(".Pooling"))
    write_json(
        pooling_dir / "config.json",
        {
            "word_embedding_dimension": model[1].embedding_dimension,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    )

    # vocab.txt: the tokenizer's vocabulary in id order, one token a line (BERT's format).
    vocab = transformer.tokenizer.get_vocab()
    by_id = sorted(vocab, key=vocab.__getitem__)
    assert [vocab[t] for t in by_id] == list(range(len(by_id))), "vocabulary ids are not contiguous"
    assert by_id == vocab_file.read_text(encoding="utf-8").splitlines(), "tokenizer vocab differs from vocab.txt"
    (out_dir / "vocab.txt").write_text("\n".join(by_id) + "\n", encoding="utf-8")
    write_json(out_dir / "special_tokens_map.json", _SPECIAL_TOKENS_MAP)

    (out_dir / "README.md").unlink(missing_ok=True)


def check_tokenizer_config(out_dir: Path) -> dict[str, Any]:
    """The saved tokenizer must lowercase itself (do_lower_case) and truncate at max_seq_length."""
    config = json.loads((out_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert config.get("do_lower_case") is True, "tokenizer_config.json must say do_lower_case: true"
    assert config.get("model_max_length") == MAX_SEQ_LENGTH, config.get("model_max_length")
    return config


def check_reload(out_dir: Path, model: SentenceTransformer, texts: Sequence[str]) -> SentenceTransformer:
    """Reload the written folder with sentence-transformers; it must encode as `model` does."""
    reloaded = SentenceTransformer(str(out_dir), device="cpu", local_files_only=True)
    assert reloaded.max_seq_length == model.max_seq_length == MAX_SEQ_LENGTH, reloaded.max_seq_length
    assert [type(m).__name__ for m in reloaded] == ["Transformer", "Pooling", "Normalize"]
    assert reloaded[1].pooling_mode == "mean", reloaded[1].pooling_mode
    expected = model.encode(list(texts), convert_to_numpy=True)
    actual = reloaded.encode(list(texts), convert_to_numpy=True)
    assert np.array_equal(expected, actual), "reloaded model encodes differently"
    return reloaded


def tokenize(model: SentenceTransformer, text: str) -> list[int]:
    """Exactly the ids SentenceTransformer feeds the transformer for `text` ([CLS] ... [SEP])."""
    return model.tokenizer(text, truncation=True, max_length=MAX_SEQ_LENGTH)["input_ids"]


def check_tokenize_matches_preprocess(model: SentenceTransformer, texts: Sequence[str]) -> None:
    """`tokenize` must give what SentenceTransformer's own preprocessing gives (the ids under the
    attention mask of its padded batch)."""
    for start in range(0, len(texts), 32):
        batch = list(texts[start : start + 32])
        features = model.preprocess(batch)
        for text, ids, mask in zip(batch, features["input_ids"], features["attention_mask"], strict=True):
            assert ids[mask.bool()].tolist() == tokenize(model, text), f"preprocess differs for {text[:60]!r}"


# --------------------------------------------------------------------------------------------
# ONNX
# --------------------------------------------------------------------------------------------


class _LastHiddenState(torch.nn.Module):
    """(input_ids, attention_mask) -> last_hidden_state, the signature of Optimum's
    feature-extraction export of DistilBERT (which has no token_type_ids)."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def export_onnx(model_dir: Path, onnx_path: Path) -> None:
    """Export the transformer of a saved model folder to ONNX like Optimum does.

    Uses torch's TorchScript-based exporter (dynamo=False) at opset 14, which gives the same
    op set and graph shape as Optimum's export on the hub. The model is loaded with eager
    attention so that the graph has plain MatMul/Softmax attention rather than an SDPA kernel.
    """
    hf_model = transformers.AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
    # eval() on the wrapper, not only the inner model: the exporter restores the wrapper's mode
    # on every submodule afterwards, and a wrapper left in training mode turns dropout back on.
    wrapper = _LastHiddenState(hf_model).eval()
    example = torch.tensor([[2, 10, 11, 12, 3], [2, 13, 3, 0, 0]], dtype=torch.int64)
    axes = {0: "batch_size", 1: "sequence_length"}
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated and warns about traced Python conditions that
        # are constant for this model (verify_onnx checks the graph on many shapes).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            (example, (example != 0).long()),
            str(onnx_path),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=ONNX_OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    onnx.checker.check_model(str(onnx_path), full_check=True)


def describe_onnx(onnx_path: Path) -> dict[str, Any]:
    """Names, element types and shapes of an ONNX graph's inputs and outputs, and its opset."""
    model = onnx.load(str(onnx_path), load_external_data=False)

    def io_info(values: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": v.name,
                "type": onnx.TensorProto.DataType.Name(v.type.tensor_type.elem_type).lower(),
                "shape": [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim],
            }
            for v in values
        ]

    return {
        "opset": max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
        "ir_version": model.ir_version,
        "inputs": io_info(model.graph.input),
        "outputs": io_info(model.graph.output),
    }


def check_onnx_signature(onnx_path: Path, dimension: int) -> None:
    info = describe_onnx(onnx_path)
    assert info["inputs"] == [
        {"name": "input_ids", "type": "int64", "shape": ["batch_size", "sequence_length"]},
        {"name": "attention_mask", "type": "int64", "shape": ["batch_size", "sequence_length"]},
    ], info["inputs"]
    assert info["outputs"] == [
        {"name": "last_hidden_state", "type": "float", "shape": ["batch_size", "sequence_length", dimension]}
    ], info["outputs"]
    assert info["opset"] >= 14, info["opset"]


def onnx_session(onnx_path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])


def pad_batch(batch_ids: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad with [PAD]=0 to the longest sequence, as the tokenizer's padding=True does."""
    width = max(len(ids) for ids in batch_ids)
    input_ids = np.zeros((len(batch_ids), width), dtype=np.int64)
    attention_mask = np.zeros((len(batch_ids), width), dtype=np.int64)
    for row, ids in enumerate(batch_ids):
        input_ids[row, : len(ids)] = ids
        attention_mask[row, : len(ids)] = 1
    return input_ids, attention_mask


def verify_onnx_against_torch(
    onnx_path: Path, model: SentenceTransformer, all_ids: Sequence[Sequence[int]], batch_size: int = 16
) -> float:
    """Max |ONNX - PyTorch| of last_hidden_state over the real tokens of every sequence, run in
    padded batches (so padding and masking are exercised too)."""
    session = onnx_session(onnx_path)
    torch_model = model[0].auto_model
    worst = 0.0
    for start in range(0, len(all_ids), batch_size):
        input_ids, attention_mask = pad_batch(all_ids[start : start + batch_size])
        (onnx_out,) = session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})
        with torch.no_grad():
            torch_out = torch_model(
                input_ids=torch.from_numpy(input_ids), attention_mask=torch.from_numpy(attention_mask)
            ).last_hidden_state.numpy()
        mask = attention_mask.astype(bool)
        worst = max(worst, float(np.abs(onnx_out[mask] - torch_out[mask]).max()))
    return worst


def onnx_embeddings(onnx_path: Path, all_ids: Sequence[Sequence[int]], batch_size: int = 32) -> np.ndarray:
    """Sentence embeddings through an ONNX file: last_hidden_state -> mean over the attention mask
    -> L2 normalize, the computation of sentence-transformers' Pooling and Normalize modules."""
    session = onnx_session(onnx_path)
    rows = []
    for start in range(0, len(all_ids), batch_size):
        input_ids, attention_mask = pad_batch(all_ids[start : start + batch_size])
        (hidden,) = session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})
        mask = attention_mask[..., None].astype(np.float32)
        pooled = (hidden.astype(np.float32) * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        rows.append(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12))
    return np.concatenate(rows)


def max_cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    """max over rows of 1 - cos(a_i, b_i)."""
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    cos = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return float((1.0 - cos).max())


# --------------------------------------------------------------------------------------------
# Output files
# --------------------------------------------------------------------------------------------


def embedding_case(name: str, text: str, input_ids: Sequence[int], embedding: np.ndarray) -> dict[str, Any]:
    """One reference case. Each float32 is written as the double of the same value, so it
    round-trips exactly (float(x) of the float32)."""
    assert embedding.dtype == np.float32
    return {
        "name": name,
        "text": text,
        "input_ids": [int(i) for i in input_ids],
        "embedding": [float(x) for x in embedding],
    }


def write_gzip(path: Path, data: bytes) -> None:
    """gzip with no file name and a zero timestamp in the header: reproducible bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    path.write_bytes(buffer.getvalue())


def dumps_compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
