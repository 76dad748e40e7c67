"""Write the Unicode tables of Hugging Face tokenizers' BERT pipeline, and test cases for them.

Why: sentence-transformers tokenizes with the Rust `tokenizers` library, whose BertNormalizer and
BertPreTokenizer decide "control", "whitespace", "punctuation", "non-spacing mark", lowercase and
NFD with the Unicode tables compiled into it (crates of different Unicode versions, some old), and
with a few rules of its own (a CJK range list with a gap, lowercasing char by char, so no final
sigma). JavaScript's Unicode (V8/ICU) is newer and tokenizers.js differs in places (it misses CJK
outside the BMP, lowercases with final sigma). The only way to tokenize exactly as sentence-transformers
does is to use the reference's own answers, so this script asks the Rust library about every code
point, stage by stage, and libs/encoder reads the result.

Writes (byte-identical run to run, given tools/reference/requirements.txt's `tokenizers`):
- libs/encoder/src/tokenization/bert-unicode-tables.json: per normalizer stage and pre-tokenizer
  class, the code points it affects (ranges) or what it maps them to;
- libs/encoder/fixtures/reference/bert-unicode-tokens.jsonl.gz: random texts of characters from
  all over Unicode, with the ids the Rust tokenizer gives them under four normalizer settings.

Only `tokenizers` is needed: `pip install tokenizers==0.23.3`.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import sys
import unicodedata
from pathlib import Path

import tokenizers
from tokenizers import Tokenizer, normalizers, pre_tokenizers

REPO_ROOT = Path(__file__).resolve().parents[2]
BERT_TOKENIZER = REPO_ROOT / "libs" / "encoder" / "fixtures" / "bert-base-uncased" / "tokenizer.json"
TABLES_OUT = REPO_ROOT / "libs" / "encoder" / "src" / "tokenization" / "bert-unicode-tables.json"
CASES_OUT = REPO_ROOT / "libs" / "encoder" / "fixtures" / "reference" / "bert-unicode-tokens.jsonl.gz"
EXPECTED_TOKENIZERS = "0.23.3"
MAX_SEQ_LENGTH = 384
SEED = 20261129
CASES_PER_SETTING = 1500
HANGUL = range(0xAC00, 0xD7A4)

# The normalizer settings the cases cover: BERT uncased (msmarco-distilbert-cos-v5), cased, and two
# mixed ones, so every stage is checked on and off.
SETTINGS = {
    "uncased": dict(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True),
    "cased": dict(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=False),
    "lowercase-keep-accents": dict(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=True),
    "strip-accents-no-clean": dict(clean_text=False, handle_chinese_chars=True, strip_accents=True, lowercase=False),
}


def code_points() -> list[int]:
    return [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]


def stage(**flags: bool | None) -> normalizers.BertNormalizer:
    settings = dict(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    settings.update(flags)
    return normalizers.BertNormalizer(**settings)


def ranges(cps: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for cp in cps:
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


def hangul_nfd(cp: int) -> str:
    return unicodedata.normalize("NFD", chr(cp))


def build_tables() -> dict[str, object]:
    clean, chinese = stage(clean_text=True), stage(handle_chinese_chars=True)
    strip, lower = stage(strip_accents=True), stage(lowercase=True)
    full = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    pre = pre_tokenizers.BertPreTokenizer()
    control, whitespace, cjk, strip_removes, split_ws, punct = [], [], [], [], [], []
    strip_maps: list[list[object]] = []
    lower_maps: list[list[object]] = []
    for cp in code_points():
        c = chr(cp)
        cleaned = clean.normalize_str(c)
        if cleaned == "":
            control.append(cp)
        elif cleaned == " " and c != " ":
            whitespace.append(cp)
        else:
            assert cleaned == c, hex(cp)
        padded = chinese.normalize_str(c)
        if padded != c:
            assert padded == f" {c} ", hex(cp)
            cjk.append(cp)
        stripped = strip.normalize_str(c)
        if stripped == "":
            strip_removes.append(cp)
        elif cp in HANGUL:
            assert stripped == hangul_nfd(cp), hex(cp)
        elif stripped != c:
            strip_maps.append([cp, stripped])
        lowered = lower.normalize_str(c)
        if lowered != c:
            lower_maps.append([cp, lowered])
        # The stages compose char by char, in this order; libs/encoder relies on it.
        composed = "" if cleaned == "" else cleaned
        composed = "".join(chinese.normalize_str(x) for x in composed)
        composed = "".join(strip.normalize_str(x) for x in composed)
        composed = "".join(lower.normalize_str(x) for x in composed)
        assert full.normalize_str(c) == composed, hex(cp)
        words = [w for w, _ in pre.pre_tokenize_str(f"a{c}b")]
        if words == ["a", "b"]:
            split_ws.append(cp)
        elif words == ["a", c, "b"]:
            punct.append(cp)
        else:
            assert words == [f"a{c}b"], (hex(cp), words)
    return {
        "generator": "tools/reference/make_bert_unicode.py",
        "tokenizers": tokenizers.__version__,
        "cleanTextRemoves": ranges(control),
        "cleanTextSpaces": ranges(whitespace),
        "chinese": ranges(cjk),
        "stripAccentsRemoves": ranges(strip_removes),
        "stripAccentsMaps": strip_maps,
        "stripAccentsHangul": "U+AC00..U+D7A3 map to their canonical (NFD) decomposition, not listed",
        "lowercaseMaps": lower_maps,
        "preTokenizerWhitespace": ranges(split_ws),
        "preTokenizerPunctuation": ranges(punct),
    }


def special_to_python(cp: int) -> bool:
    """Special to a BERT tokenizer built on Python's (newer) Unicode: where other implementations part ways."""
    c = chr(cp)
    category = unicodedata.category(c)
    return (
        category in ("Mn", "Cc", "Cf", "Co", "Zs", "Zl", "Zp") or category.startswith("P") or c.lower() != c
        or unicodedata.decomposition(c) != ""
    )


def interesting_code_points(tables: dict[str, object]) -> list[int]:
    """Every code point some table names or Python's Unicode finds special, so random texts hit the edges."""
    cps: set[int] = {cp for cp in code_points() if special_to_python(cp)}
    for key in ("cleanTextRemoves", "cleanTextSpaces", "chinese", "stripAccentsRemoves"):
        for lo, hi in tables[key]:  # type: ignore[union-attr]
            cps.update((lo, hi, (lo + hi) // 2))
    for key in ("stripAccentsMaps", "lowercaseMaps"):
        cps.update(cp for cp, _ in tables[key])  # type: ignore[union-attr]
    for key in ("preTokenizerWhitespace", "preTokenizerPunctuation"):
        for lo, hi in tables[key]:  # type: ignore[union-attr]
            cps.update((lo, hi))
    return sorted(cps)


def random_text(rng: random.Random, pool: list[int], everything: list[int]) -> str:
    parts: list[str] = []
    for _ in range(rng.choice([1, 2, 4, 8, 16, 40, 120])):
        r = rng.random()
        if r < 0.15:
            parts.append(" ")
        elif r < 0.35:
            parts.append(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,-'"))
        elif r < 0.45:
            parts.append(rng.choice(["[SEP]", "[MASK]", "[unk]", "ΟΔΥΣΣΕΥΣ", "ΑΣ", "İstanbul", "STRASSE ẞ", "한국어", "𠀀𠀁"]))
        elif r < 0.85:
            parts.append(chr(rng.choice(pool)))
        else:
            parts.append(chr(rng.choice(everything)))
    return "".join(parts)


def build_cases(tables: dict[str, object]) -> bytes:
    base = json.loads(BERT_TOKENIZER.read_text(encoding="utf-8"))
    rng = random.Random(SEED)
    pool, everything = interesting_code_points(tables), code_points()
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:
        for name, flags in SETTINGS.items():
            spec = dict(base)
            spec["normalizer"] = {"type": "BertNormalizer", **flags}
            tok = Tokenizer.from_str(json.dumps(spec))
            tok.enable_truncation(MAX_SEQ_LENGTH)
            texts = [random_text(rng, pool, everything) for _ in range(CASES_PER_SETTING)]
            for text, encoding in zip(texts, tok.encode_batch(texts)):
                line = {"setting": name, "normalizer": flags, "text": text, "input_ids": encoding.ids}
                gz.write((json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8"))
    return buffer.getvalue()


def main() -> None:
    if tokenizers.__version__ != EXPECTED_TOKENIZERS:
        sys.exit(f"tokenizers {tokenizers.__version__}: the tables are generated with {EXPECTED_TOKENIZERS}")
    tables = build_tables()
    TABLES_OUT.write_text(json.dumps(tables, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    CASES_OUT.write_bytes(build_cases(tables))
    print(f"wrote {TABLES_OUT.relative_to(REPO_ROOT)} ({TABLES_OUT.stat().st_size} bytes)")
    print(f"wrote {CASES_OUT.relative_to(REPO_ROOT)} ({CASES_OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
