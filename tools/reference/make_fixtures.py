#!/usr/bin/env python3
"""Generate the committed reference fixtures that prove the TypeScript encoder matches
sentence-transformers exactly.

Writes (all under libs/encoder/fixtures/):
  tiny-model/                                   a small seeded DistilBERT sentence-transformers model
                                                with its own WordPiece vocabulary, in the hub layout
                                                of msmarco-distilbert-cos-v5, plus onnx/model.onnx
                                                and its qint8 and fp16 variants
  reference/tiny-model-embeddings.json.gz       ~200 varied texts: input_ids and the embedding that
                                                SentenceTransformer.encode() returns for each
  reference/bert-base-uncased-tokens.jsonl.gz   a few thousand real texts and the input_ids the real
                                                model's tokenizer (BertTokenizerFast) gives them

Deterministic: re-running with the pinned versions (requirements.txt) on Python 3.11.7
reproduces the same bytes. Usage (from the repository root):

    tools/.venv/bin/python tools/reference/make_fixtures.py
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.transformers.float16 import convert_float_to_float16
from sentence_transformers import SentenceTransformer
from tokenizers import BertWordPieceTokenizer
from transformers import BertTokenizerFast, DistilBertConfig, DistilBertModel, DistilBertTokenizer
from transformers.models.bert.tokenization_bert import load_vocab
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (the sibling module, after the path tweak above)

SEED = 20240607
FIXTURES_DIR = common.REPO_ROOT / "libs" / "encoder" / "fixtures"
TINY_DIR = FIXTURES_DIR / "tiny-model"
REFERENCE_DIR = FIXTURES_DIR / "reference"
EMBEDDINGS_FILE = REFERENCE_DIR / "tiny-model-embeddings.json.gz"
BERT_TOKENS_FILE = REFERENCE_DIR / "bert-base-uncased-tokens.jsonl.gz"

VOCAB_SIZE = 4000
# Shape of the tiny model: DistilBERT with everything but the position table shrunk.
TINY_CONFIG = dict(dim=64, n_layers=2, n_heads=4, hidden_dim=128, max_position_embeddings=512)
# Larger than DistilBERT's 0.02 so attention is far from uniform and padding/masking mistakes
# change the embeddings visibly.
TINY_INITIALIZER_RANGE = 0.1

# ONNX vs PyTorch last_hidden_state (brief: within 1e-5).
ONNX_ATOL = 1e-5

# Characters and words that must be in the tiny vocabulary even though the training corpus is
# English: CJK, kana, Hangul, letters that survive accent stripping, emoji.
EXTRA_VOCAB_TEXT = """
中文 中国 汉字 日本語 日本 東京 漢字 学校 한국어 한국 서울 텍스트 ひらがな カタカナ テキスト の と です
café naïve résumé Ångström façade jalapeño Straße Œuvre Ærø Łódź Øresund smørrebrød ß æ ø ł œ
😀 👍 🎉 ❤ 🚀 ✨ 🙂 ★ ☃ € £ ¥ © ® ™ ° ± × ÷ µ § ¶ • … – — “ ” ‘ ’ « »
"""


# --------------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------------


def varied_cases(
    tokenizer: Any,
    vaswani: list[tuple[int, str]],
    queries: list[tuple[int, str]],
    paragraphs: list[str],
    docstrings: list[str],
    licences: list[tuple[str, str]],
    rng: random.Random,
) -> list[tuple[str, str]]:
    """(name, text) for the ~200 embedding cases: edge cases first, then real texts."""
    long_word_100 = "abcdefghij" * 10
    long_word_112 = "antidisestablishmentarianism" * 4
    mpl = licences[0][1]
    words = " ".join(text for _, text in vaswani[:400]).split()
    cases: list[tuple[str, str]] = [
        # Empty and whitespace-only: sentence-transformers still embeds [CLS] [SEP].
        ("empty", ""),
        ("whitespace-only", "   \t\n"),
        ("single-space", " "),
        ("single-letter", "a"),
        ("single-word", "hello"),
        ("short-ascii", "The quick brown fox jumps over the lazy dog."),
        ("short-question", "what is the capital of france?"),
        ("mixed-case", "ThE QuIcK BrOwN FoX JuMpS"),
        ("all-caps", "MEASUREMENT OF DIELECTRIC CONSTANT OF LIQUIDS"),
        ("camel-case", "getElementById XMLHttpRequest iPhone macOS"),
        ("numbers", "In 2024, 3.14159 and 1,000,000 and -42 and 1e-10 and 0x1F and 007."),
        ("digits-only", "1234567890"),
        ("punctuation-run", "!!!???..."),
        ("symbol-run", "--==++"),
        ("punctuation-mix", "Hello, world! How's it going? (Fine.) [ok] {yes} <no> \"quoted\" 'single' `tick`"),
        ("ascii-symbols", "~ ` ! @ # $ % ^ & * ( ) _ - + = { } [ ] | \\ : ; \" ' < > , . ? /"),
        ("url", "See https://example.com/path/to/page?query=1&x=y#fragment for details."),
        ("email", "Write to someone.else+tag@example.org today."),
        ("file-path", "/usr/local/bin/python3 --version && C:\\Windows\\System32"),
        ("code", "def f(x):\n    return x**2 + 1  # square it\n"),
        ("json-snippet", '{"key": [1, 2, 3], "nested": {"a": null, "b": true}}'),
        ("hyphens-apostrophes", "state-of-the-art don't it's O'Neil rock'n'roll e-mail"),
        ("tabs-newlines", "line one\nline two\tcolumn\r\nline three\n\n\tindented"),
        ("repeated-spaces", "a    b     c      d"),
        ("leading-trailing-space", "   padded on both sides   "),
        ("carriage-returns", "one\rtwo\r\rthree"),
        # Accents: lowercasing BERT strips them (NFD, drop combining marks).
        ("accent-cafe", "café"),
        ("accent-naive", "naïve résumé"),
        ("accent-angstrom", "Ångström"),
        ("accents-french", "Crème brûlée à la française, s'il vous plaît. Ça va? Œuvre."),
        ("accents-mixed", "Straße Ærø Łódź Øresund smørrebrød jalapeño façade"),
        ("accents-uppercase", "ÉCOLE ÉLÉMENTAIRE À PARIS"),
        ("combining-acute", "cafe\u0301 and e\u0301le\u0300ve"),
        ("combining-only", "\u0301\u0302\u0303"),
        ("combining-zalgo", "Z\u0351\u0352a\u0353\u0354l\u0355g\u0356o t\u0357e\u0358x\u0359t"),
        ("precomposed-vs-decomposed", "\u00e9 e\u0301 \u00c5 A\u030a"),
        # CJK ideographs are split into single characters; kana and Hangul are not.
        ("cjk-chinese", "中文"),
        ("cjk-japanese", "日本語"),
        ("cjk-korean", "한국어"),
        ("cjk-sentence", "我们在学校学习中文。"),
        ("japanese-mixed", "東京の学校でひらがなとカタカナを学ぶ"),
        ("korean-sentence", "서울에서 한국어 텍스트를 읽습니다"),
        ("cjk-mixed-english", "The word 中文 means Chinese, 日本語 means Japanese, 한국어 means Korean."),
        ("cjk-punctuation", "「引用」、『二重』。（括弧）"),
        ("fullwidth", "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ １２３"),
        # Other scripts: mostly out of the tiny vocabulary, so [UNK].
        ("greek", "Ελληνικά γράμματα αβγ"),
        ("cyrillic", "Русский текст Привет"),
        ("arabic", "النص العربي"),
        ("hebrew", "טקסט בעברית"),
        ("devanagari", "हिन्दी पाठ"),
        ("thai", "ภาษาไทย"),
        ("math-symbols", "∑ ∫ √ ≤ ≥ ≠ ∞ π ∂ ∇ ± × ÷"),
        ("currency", "€100 £20 ¥3000 $5.99 ₹50 ₿0.1"),
        ("ligatures", "ﬁnance ﬂow oﬀice"),
        ("superscripts", "x² + y³ = z⁴, H₂O"),
        # Emoji: symbols, not punctuation, so they stay inside words.
        ("emoji", "I love it 😀👍"),
        ("emoji-run", "🎉🎉🎉"),
        ("emoji-skin-tone", "👍🏽 👋🏿"),
        ("emoji-zwj-family", "👨\u200d👩\u200d👧\u200d👦"),
        ("emoji-flag", "🇫🇷 🇯🇵"),
        ("emoji-in-word", "hello😀world"),
        ("emoji-variation-selector", "❤\ufe0f ☃\ufe0e"),
        # NUL, control and format characters: BERT's clean_text drops them.
        ("nul-only", "\u0000"),
        ("nul-inside", "before\u0000after"),
        ("nul-many", "a\u0000\u0000b\u0000"),
        ("control-chars", "a\u0001b\u0002c\u001fd\u007fe"),
        ("ansi-escape", "\u001b[31mred\u001b[0m text"),
        ("vertical-tab-form-feed", "a\u000bb\u000cc"),
        ("replacement-char", "\ufffd"),
        ("replacement-inside", "bad \ufffd byte\ufffdhere"),
        ("zero-width", "zero\u200bwidth\u200cnon\u200djoiner"),
        ("bom", "\ufeffbyte order mark"),
        ("soft-hyphen", "hyphen\u00adation"),
        ("nbsp", "non\u00a0breaking\u00a0space"),
        ("unicode-spaces", "a\u2002b\u2003c\u2009d\u3000e"),
        ("line-separators", "one\u2028two\u2029three\u0085four"),
        ("private-use", "\ue000\uf8ff"),
        ("astral-plane", "𝐀𝐁𝐂 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𓀀"),
        ("smart-quotes-dashes", "“smart quotes” and ‘single’ — em dash – en dash … ellipsis"),
        ("guillemets", "« French quotes » and ‹ single ›"),
        # Special-token strings in the text: the tokenizer matches them as special tokens.
        ("special-token-strings", "[CLS] [SEP] [MASK] [PAD] [UNK]"),
        ("special-token-lowercase", "[cls] [sep] [mask]"),
        ("special-token-inside", "before[MASK]after"),
        # WordPiece gives up on words longer than 100 characters: [UNK].
        ("word-100-chars", long_word_100),
        ("word-101-chars", long_word_100 + "k"),
        ("word-over-100-chars", long_word_112),
        ("word-over-100-in-sentence", f"a {long_word_112} word"),
        ("repeated-word", "test " * 50),
        ("repeated-char", "a" * 300),
        # Truncation: exactly max_seq_length ids, and one over.
        ("exactly-384-tokens", common.fill_to_token_count(tokenizer, words, common.MAX_SEQ_LENGTH)),
        ("385-tokens", common.fill_to_token_count(tokenizer, words, common.MAX_SEQ_LENGTH + 1)),
        ("383-tokens", common.fill_to_token_count(tokenizer, words, common.MAX_SEQ_LENGTH - 1)),
        ("long-vaswani-joined", "\n\n".join(text for _, text in vaswani[1000:1012])),
        ("long-mpl-section", mpl[:6000]),
        ("long-apache", licences[1][1]),
        ("long-docstring", next(d for d in docstrings if len(d) > 4000)),
        ("long-no-spaces", "x" * 5000),
        ("long-cjk", "中文日本語漢字学校東京" * 60),
        ("huge-1mb", (mpl * (1_000_000 // len(mpl) + 1))[:1_000_000]),
        ("medium-paragraph", paragraphs[0]),
    ]
    # Real texts: Vaswani abstracts and queries, and stdlib docstring paragraphs.
    for num, text in sorted(rng.sample(vaswani, 60)):
        cases.append((f"vaswani-doc-{num}", text))
    for num, text in sorted(rng.sample(queries, 10)):
        cases.append((f"vaswani-query-{num}", text))
    for index in sorted(rng.sample(range(1, len(paragraphs)), 30)):
        cases.append((f"stdlib-paragraph-{index}", paragraphs[index]))
    names = [name for name, _ in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases


def english_texts(
    paragraphs: list[str], docstrings: list[str], licences: list[tuple[str, str]], rng: random.Random
) -> list[str]:
    """~1000 real English texts with punctuation and mixed case, some past 384 tokens."""
    texts = [paragraphs[i] for i in sorted(rng.sample(range(len(paragraphs)), 900))]
    for _, licence in licences:
        texts.extend(common.stdlib_paragraphs([licence]))  # its paragraphs
        texts.append(licence)  # and the whole text (thousands of tokens)
    texts.extend(d for d in docstrings if len(d) > 2500)  # the longest docstrings, whole
    return texts


# --------------------------------------------------------------------------------------------
# The tiny model
# --------------------------------------------------------------------------------------------


def train_vocab(out_dir: Path, corpus: list[str]) -> Path:
    """Train a lowercasing BERT WordPiece vocabulary; [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4."""
    # BERT's defaults: drop control characters, split CJK ideographs, lowercase, and strip accents
    # (strip_accents=None follows lowercase).
    trainer = BertWordPieceTokenizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    trainer.train_from_iterator(
        corpus,
        vocab_size=VOCAB_SIZE,
        min_frequency=2,
        limit_alphabet=600,
        initial_alphabet=sorted(set(EXTRA_VOCAB_TEXT) - set(" \n")),
        special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
        show_progress=False,
    )
    trainer.save_model(str(out_dir))
    vocab_file = out_dir / "vocab.txt"
    tokens = vocab_file.read_text(encoding="utf-8").splitlines()
    specials, rest = tokens[:5], tokens[5:]
    assert specials == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], specials
    # The trainer's *set* of tokens is stable, but their order is not (it follows Rust hash-map
    # iteration, seeded per process). WordPiece matches by string, never by id order, so a fixed
    # order changes no tokenization: words first, then ## pieces, each by length then text.
    rest.sort(key=lambda token: (token.startswith("##"), len(token), token))
    vocab_file.write_text("\n".join(specials + rest) + "\n", encoding="utf-8")
    return vocab_file


def build_tiny_model(work_dir: Path, vocab_file: Path) -> SentenceTransformer:
    """Seeded random DistilBERT + the trained vocabulary, wrapped as a SentenceTransformer."""
    tokenizer = DistilBertTokenizer(vocab=load_vocab(str(vocab_file)), do_lower_case=True, model_max_length=512)
    torch.manual_seed(SEED)
    config = DistilBertConfig(
        vocab_size=len(tokenizer), initializer_range=TINY_INITIALIZER_RANGE, pad_token_id=0, **TINY_CONFIG
    )
    hf_dir = work_dir / "hf"
    DistilBertModel(config).eval().save_pretrained(str(hf_dir))
    tokenizer.save_pretrained(str(hf_dir))
    return common.build_sentence_transformer(hf_dir)


def check_slow_fast(vocab_file: Path, fast: Any, texts: list[str], label: str) -> list[dict[str, Any]]:
    """Compare the Python ("slow") BERT tokenizer with the tokenizers-backed ("fast") one; return
    the texts where they disagree (fast is the reference: it is what sentence-transformers uses)."""
    slow = BertTokenizerLegacy(vocab_file=str(vocab_file), do_lower_case=True)
    disagreements = []
    for text in texts:
        fast_ids = fast(text, truncation=True, max_length=common.MAX_SEQ_LENGTH)["input_ids"]
        slow_ids = slow(text, truncation=True, max_length=common.MAX_SEQ_LENGTH)["input_ids"]
        if fast_ids != slow_ids:
            disagreements.append({"text": text[:80], "fast": fast_ids[:24], "slow": slow_ids[:24]})
    print(f"  slow vs fast tokenizer ({label}): {len(texts) - len(disagreements)}/{len(texts)} agree")
    for d in disagreements:
        print(f"    differs: {d['text']!r}\n      fast {d['fast']}\n      slow {d['slow']}")
    return disagreements


def make_variants(onnx_dir: Path) -> dict[str, Path]:
    """onnx/model_qint8.onnx (dynamic int8 weights) and onnx/model_fp16.onnx (fp16 weights and
    compute, int64 inputs and float32 output kept)."""
    fp32 = onnx_dir / "model.onnx"
    qint8 = onnx_dir / "model_qint8.onnx"
    logging.disable(logging.WARNING)  # its advice to run shape-inference pre-processing first
    try:
        quantize_dynamic(fp32, qint8, weight_type=QuantType.QInt8)
    finally:
        logging.disable(logging.NOTSET)
    fp16 = onnx_dir / "model_fp16.onnx"
    onnx.save(convert_float_to_float16(onnx.load(str(fp32)), keep_io_types=True), str(fp16))
    for path in (qint8, fp16):
        onnx.checker.check_model(str(path))
    return {"qint8": qint8, "fp16": fp16}


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def main() -> None:
    started = time.time()
    common.check_environment()
    rng = random.Random(SEED)

    print("reading texts")
    vaswani = common.read_vaswani_docs()
    queries = common.read_vaswani_queries()
    licences = common.licence_texts()
    docstrings = common.stdlib_docstrings()
    paragraphs = common.stdlib_paragraphs(docstrings)

    print("training the tiny WordPiece vocabulary and building the tiny model")
    with tempfile.TemporaryDirectory() as tmp:
        work_dir = Path(tmp)
        corpus = [t for _, t in vaswani] + docstrings + [t for _, t in licences] + [EXTRA_VOCAB_TEXT] * 3
        vocab_file = train_vocab(work_dir, corpus)
        model = build_tiny_model(work_dir, vocab_file)

        cases = varied_cases(model.tokenizer, vaswani, queries, paragraphs, docstrings, licences, rng)
        texts = [text for _, text in cases]
        shutil.rmtree(TINY_DIR, ignore_errors=True)
        common.save_hub_layout(model, TINY_DIR, vocab_file)
    common.check_tokenizer_config(TINY_DIR)
    # From here on everything uses the model as loaded back from the fixture folder.
    model = common.check_reload(TINY_DIR, model, texts[:64])
    dimension = model.get_embedding_dimension()

    print(f"encoding {len(cases)} cases")
    common.check_tokenize_matches_preprocess(model, texts)
    all_ids = [common.tokenize(model, text) for text in texts]
    embeddings = model.encode(texts, convert_to_numpy=True)  # default batch size, as users call it
    assert embeddings.shape == (len(texts), dimension) and embeddings.dtype == np.float32
    unk, cls, sep = (model.tokenizer.convert_tokens_to_ids(t) for t in ("[UNK]", "[CLS]", "[SEP]"))
    by_name = dict(zip((name for name, _ in cases), all_ids, strict=True))
    assert by_name["word-over-100-chars"] == [cls, unk, sep]
    assert by_name["word-101-chars"] == [cls, unk, sep] and unk not in by_name["word-100-chars"]
    assert by_name["empty"] == by_name["whitespace-only"] == by_name["nul-only"] == [cls, sep]
    assert len(by_name["exactly-384-tokens"]) == len(by_name["385-tokens"]) == common.MAX_SEQ_LENGTH
    assert len(by_name["huge-1mb"]) == common.MAX_SEQ_LENGTH and by_name["huge-1mb"][-1] == sep
    # Texts with different ids must get clearly different embeddings (same ids: same embedding).
    similarity = embeddings @ embeddings.T
    distinct = np.array([[a != b for b in all_ids] for a in all_ids])
    print(
        f"  pairwise cosine similarity of texts with different ids: mean {similarity[distinct].mean():.3f}, "
        f"max {similarity[distinct].max():.5f}"
    )
    check_slow_fast(TINY_DIR / "vocab.txt", model.tokenizer, texts, "tiny model")

    print("exporting ONNX")
    onnx_dir = TINY_DIR / "onnx"
    common.export_onnx(TINY_DIR, onnx_dir / "model.onnx")
    common.check_onnx_signature(onnx_dir / "model.onnx", dimension)
    diff = common.verify_onnx_against_torch(onnx_dir / "model.onnx", model, all_ids)
    print(f"  model.onnx vs PyTorch last_hidden_state: max abs diff {diff:.2e}")
    assert diff <= ONNX_ATOL, diff
    deltas = {"fp32": common.max_cosine_distance(common.onnx_embeddings(onnx_dir / "model.onnx", all_ids), embeddings)}
    for variant, path in make_variants(onnx_dir).items():
        common.check_onnx_signature(path, dimension)
        deltas[variant] = common.max_cosine_distance(common.onnx_embeddings(path, all_ids), embeddings)
    for variant, delta in deltas.items():
        print(f"  {variant}: max cosine distance to the sentence-transformers embeddings {delta:.3e}")
    assert deltas["fp32"] < 1e-6, deltas

    print("writing the reference embeddings")
    document = {
        "model": "tiny-model",
        "generator": "tools/reference/make_fixtures.py",
        "versions": common.library_versions(),
        "max_seq_length": common.MAX_SEQ_LENGTH,
        "dimension": dimension,
        "cases": [
            common.embedding_case(name, text, ids, embedding)
            for (name, text), ids, embedding in zip(cases, all_ids, embeddings, strict=True)
        ],
    }
    common.write_gzip(EMBEDDINGS_FILE, (json.dumps(document, ensure_ascii=False) + "\n").encode("utf-8"))

    print("tokenizing the bert-base-uncased parity set")
    bert = BertTokenizerFast.from_pretrained(str(common.BERT_BASE_DIR), do_lower_case=True)
    bert_words = " ".join(text for _, text in vaswani[2000:2400]).split()
    bert_texts = (
        [text for _, text in sorted(rng.sample(vaswani, 3000))]
        + [text for _, text in queries]
        + english_texts(paragraphs, docstrings, licences, rng)
        + [text if name != "huge-1mb" else text[:5000] for name, text in cases]
        + [common.fill_to_token_count(bert, bert_words, n) for n in (383, 384, 385)]
    )
    lines = []
    for text in bert_texts:
        ids = bert(text, truncation=True, max_length=common.MAX_SEQ_LENGTH)["input_ids"]
        lines.append(common.dumps_compact({"text": text, "input_ids": ids}) + "\n")
    long_count = sum(len(bert(t, verbose=False)["input_ids"]) > common.MAX_SEQ_LENGTH for t in bert_texts)
    print(f"  {len(bert_texts)} texts, {long_count} past {common.MAX_SEQ_LENGTH} tokens")
    assert long_count >= 10
    common.write_gzip(BERT_TOKENS_FILE, "".join(lines).encode("utf-8"))
    check_slow_fast(common.BERT_BASE_DIR / "vocab.txt", bert, bert_texts, "bert-base-uncased")

    print("wrote:")
    for path in sorted(p for p in FIXTURES_DIR.rglob("*") if p.is_file() and "bert-base-uncased/" not in str(p)):
        print(f"  {path.relative_to(common.REPO_ROOT)}  {path.stat().st_size:,} bytes")
    print(f"done in {time.time() - started:.1f}s")


if __name__ == "__main__":
    main()
