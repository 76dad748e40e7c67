"""Writes libs/corpus/fixtures/pyarrow/: Arrow IPC and Parquet corpora as pyarrow writes them, and what our readers
must make of them (expected.json).

The corpus readers (libs/corpus: arrow-records.ts on apache-arrow 18, parquet-records.ts on hyparquet) are tested
against files other tools wrote: every Parquet compression codec pyarrow has, data page v2, plain, dictionary, delta
and byte-stream-split encodings, several row groups, large_string ids, dictionary-encoded text, Arrow IPC files and
streams uncompressed and LZ4/ZSTD compressed (pyarrow's feather default is LZ4), a Hugging Face datasets cache file
(an IPC stream named .arrow), and payload columns of many types with nulls.

expected.json is computed here from the Python values, independently of the TypeScript readers, by the rules the
readers document (libs/corpus/README.md, "Payload values"):
  ids       strings (integers in decimal)
  payload   null when the file has no columns but id and text; else every other column:
            integers numbers (strings beyond 2^53 - 1), floats numbers, booleans, strings as is,
            timestamps and dates ISO 8601 UTC strings to the millisecond (truncated toward -infinity),
            decimals numbers when the number's shortest form is the decimal's exact value, else decimal strings,
            binary base64, lists arrays, structs objects, nulls null.

Run from the repository root with the tools venv (pyarrow pinned in requirements.txt):
    tools/.venv/bin/python tools/reference/make_table_fixtures.py
The output is byte-identical run to run (no clocks, no randomness; a fixed pyarrow).
"""

import base64
import datetime as dt
import decimal
import json
import math
import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import feather, ipc

OUT = Path(__file__).resolve().parents[2] / "libs" / "corpus" / "fixtures" / "pyarrow"
ROWS = 200
ROW_GROUP = 80  # Parquet row groups of 80, 80 and 40 rows
BATCH = 75  # Arrow record batches of 75, 75 and 50 rows
WORDS = ["naïve", "über", "café", "—", "résumé", "日本語", "passage", "text", "😀", "a\tb"]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def text(i: int) -> str:
    return f"passage {i}: " + " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(1 + i % 5))


def column_values() -> dict[str, list]:
    """The source values, row by row; every payload column has nulls but `flag_all`."""
    rows = range(ROWS)
    base = dt.datetime(2024, 2, 29, 23, 59, 58, 123456)

    def null_every(n: int, values: list) -> list:
        return [None if i % n == n - 1 else v for i, v in enumerate(values)]

    return {
        "id": [1_000 + i for i in rows],
        "text": [text(i) for i in rows],
        "title": null_every(7, [f"Title {i}" for i in rows]),
        "score": null_every(6, [i / 4 - 10 for i in rows]),
        "count": null_every(5, [i * 3 - 100 for i in rows]),
        "big": null_every(9, [(2**53 + i) if i % 2 else (-i * 12_345_678_901) for i in rows]),
        "flag": null_every(4, [i % 3 == 0 for i in rows]),
        # Microsecond timestamps, some before 1970 (their milliseconds truncate toward -infinity).
        "ts": null_every(8, [base + dt.timedelta(days=i * 37 - 25_000, microseconds=i * 999) for i in rows]),
        "day": null_every(10, [dt.date(1969, 12, 25) + dt.timedelta(days=i * 11) for i in rows]),
        "price": null_every(11, [decimal.Decimal(i * 37 - 500).scaleb(-2) for i in rows]),
        # 38 digits, 10 after the point: exact as a number only when short.
        "amount": null_every(
            12,
            [
                decimal.Decimal(i).scaleb(-10) if i % 3 == 0 else decimal.Decimal(f"{i}1234567890123456789.{i:010d}")
                for i in rows
            ],
        ),
        "tags": null_every(13, [[f"t{i % 4}", f"u{i % 3}"][: i % 3] for i in rows]),
        "meta": null_every(14, [{"rank": i, "source": WORDS[i % len(WORDS)]} for i in rows]),
        # Arbitrary bytes, most of them not UTF-8.
        "blob": null_every(15, [bytes([(i * 31 + k) % 256 for k in range(i % 6)]) for i in rows]),
    }


def schema() -> pa.Schema:
    return pa.schema(
        [
            ("id", pa.int64()),
            ("text", pa.string()),
            ("title", pa.string()),
            ("score", pa.float64()),
            ("count", pa.int32()),
            ("big", pa.int64()),
            ("flag", pa.bool_()),
            ("ts", pa.timestamp("us")),
            ("day", pa.date32()),
            ("price", pa.decimal128(9, 2)),
            ("amount", pa.decimal128(38, 10)),
            ("tags", pa.list_(pa.string())),
            ("meta", pa.struct([("rank", pa.int32()), ("source", pa.string())])),
            ("blob", pa.binary()),
        ]
    )


def full_table() -> pa.Table:
    values = column_values()
    return pa.table({f.name: pa.array(values[f.name], f.type) for f in schema()}, schema=schema())


def expected_value(value):
    """A source value as our readers must give it in a payload (module docstring)."""
    if value is None:
        return None
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 - 1 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        number = float(value)
        return number if decimal.Decimal(repr(number)) == value else format(value, "f")
    if isinstance(value, dt.datetime):
        micros = (value.replace(tzinfo=dt.UTC) - EPOCH) // dt.timedelta(microseconds=1)
        millis = math.floor(micros / 1000)
        return (EPOCH + dt.timedelta(milliseconds=millis)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(value, dt.date):
        return value.isoformat() + "T00:00:00.000Z"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list):
        return [expected_value(v) for v in value]
    if isinstance(value, dict):
        return {k: expected_value(v) for k, v in value.items()}
    raise TypeError(f"no expected form for {type(value).__name__}")


def expected_records(table: pa.Table) -> list:
    """[id, text, payload] per row, as openCorpus must read them from a file holding `table`."""
    rows = table.to_pylist()
    others = [name for name in table.column_names if name not in ("id", "text")]
    return [[str(r["id"]), r["text"], {k: expected_value(r[k]) for k in others} if others else None] for r in rows]


def compact_json(expected: dict) -> str:
    """expected.json with one record per line: small, and a diff shows the rows that changed."""
    dump = lambda value: json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    head = {k: v for k, v in expected.items() if k != "tables"}
    lines = ["{"] + [f" {dump(k)}: {dump(v)}," for k, v in head.items()] + [' "tables": {']
    for t, (name, records) in enumerate(expected["tables"].items()):
        lines.append(f"  {dump(name)}: [")
        lines += [f"   {dump(r)}{',' if i < len(records) - 1 else ''}" for i, r in enumerate(records)]
        lines.append("  ]" + ("," if t < len(expected["tables"]) - 1 else ""))
    return "\n".join(lines + [" }", "}", ""])


def write_ipc_stream(table: pa.Table, path: Path, compression: str | None = None) -> None:
    options = ipc.IpcWriteOptions(compression=compression)
    with pa.OSFile(str(path), "wb") as sink, ipc.new_stream(sink, table.schema, options=options) as writer:
        for batch in table.to_batches(max_chunksize=BATCH):
            writer.write_batch(batch)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    full = full_table()
    ids_as_large_string = pa.table(
        {
            "id": pa.array([f"doc-{i}" for i in full["id"].to_pylist()], pa.large_string()),
            "text": full["text"].cast(pa.large_string()),
            "title": full["title"].cast(pa.large_string()),
        }
    )
    dictionary_text = pa.table(
        {
            "id": full["id"].cast(pa.int32()),
            "text": full["text"].dictionary_encode(),
            "title": full["title"].dictionary_encode(),
        }
    )
    only_id_text = full.select(["id", "text"])
    tables = {"full": full, "large-string": ids_as_large_string, "dictionary": dictionary_text, "id-text": only_id_text}

    files: dict[str, str] = {}

    def parquet(name: str, table_name: str, **options) -> None:
        pq.write_table(tables[table_name], OUT / name, row_group_size=ROW_GROUP, **options)
        files[name] = table_name

    for codec in ["none", "snappy", "gzip", "brotli", "lz4", "zstd"]:
        parquet(f"codec-{codec}.parquet", "full", compression=codec)
    parquet("data-page-v2.parquet", "full", data_page_version="2.0", compression="zstd")
    parquet("plain.parquet", "full", use_dictionary=False, compression="none")
    parquet(
        "delta.parquet",
        "full",
        use_dictionary=False,
        compression="none",
        column_encoding={
            "id": "DELTA_BINARY_PACKED",
            "count": "DELTA_BINARY_PACKED",
            "text": "DELTA_BYTE_ARRAY",
            "title": "DELTA_LENGTH_BYTE_ARRAY",
        },
    )
    parquet(
        "byte-stream-split.parquet",
        "full",
        use_dictionary=False,
        compression="none",
        column_encoding={"score": "BYTE_STREAM_SPLIT", "big": "BYTE_STREAM_SPLIT"},
    )
    parquet("large-string.parquet", "large-string")
    parquet("dictionary.parquet", "dictionary")
    parquet("id-text.parquet", "id-text")

    def arrow_file(name: str, table_name: str, compression: str) -> None:
        feather.write_feather(tables[table_name], OUT / name, compression=compression, chunksize=BATCH)
        files[name] = table_name

    arrow_file("file.arrow", "full", "uncompressed")
    arrow_file("file-lz4.feather", "full", "lz4")  # pyarrow's default
    arrow_file("file-zstd.arrow", "full", "zstd")
    arrow_file("large-string-zstd.arrow", "large-string", "zstd")
    arrow_file("dictionary-lz4.arrow", "dictionary", "lz4")  # compressed dictionary batches too
    arrow_file("dictionary.arrow", "dictionary", "uncompressed")
    for name, compression in [("stream.arrows", None), ("stream-lz4.arrows", "lz4"), ("stream-zstd.arrows", "zstd")]:
        write_ipc_stream(full, OUT / name, compression)
        files[name] = "full"
    # Hugging Face datasets caches a table as an IPC stream in a .arrow file, with its schema metadata.
    hf = full.select(["id", "text", "title"]).replace_schema_metadata(
        {"huggingface": json.dumps({"info": {"features": {"id": {"dtype": "int64", "_type": "Value"}}}})}
    )
    write_ipc_stream(hf, OUT / "hf-datasets-cache.arrow")
    files["hf-datasets-cache.arrow"] = "hf"
    tables["hf"] = hf

    # Types apache-arrow 18 cannot read: openCorpus must refuse them naming the column.
    errors: dict[str, str] = {}
    view = pa.table({"id": only_id_text["id"], "text": only_id_text["text"].cast(pa.string_view())})
    feather.write_feather(view.slice(0, 3), OUT / "string-view.arrow", compression="uncompressed")
    errors["string-view.arrow"] = 'column "text" is string_view: cast it to string or large_string'
    nested = pa.table(
        {
            "id": only_id_text["id"],
            "text": only_id_text["text"],
            "meta": pa.array([{"source": "s"}] * ROWS, pa.struct([("source", pa.string_view())])),
            "tags": pa.array([["t"]] * ROWS, pa.large_list(pa.string())),
        }
    )
    feather.write_feather(nested.slice(0, 3), OUT / "nested-unreadable.arrow", compression="uncompressed")
    with warnings.catch_warnings():  # Feather v1 is deprecated: that is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        feather.write_feather(only_id_text.slice(0, 3), OUT / "feather-v1.feather", version=1)
    errors["feather-v1.feather"] = "a Feather version 1 file, which is not Arrow IPC: rewrite it as Feather version 2"
    errors["nested-unreadable.arrow"] = (
        'column "meta.source" is string_view: cast it to string or large_string; '
        'column "tags" is large_list: cast it to list: apache-arrow 18'
    )

    # One LZ4 frame of two linked 64 KiB blocks (matches reach into the block before), as Arrow's codec writes
    # them, for lz4-frame.test.ts; the input is rebuilt there from the same formula.
    lz4_input = "".join(f"row {i} {(i * 7919) % 1000}\n" for i in range(8000)).encode()
    (OUT / "lz4-frame.bin").write_bytes(pa.compress(lz4_input, codec="lz4", asbytes=True))

    expected = {
        "generator": "tools/reference/make_table_fixtures.py",
        "pyarrow": pa.__version__,
        "files": dict(sorted(files.items())),
        "errors": errors,
        "lz4_frame": {"file": "lz4-frame.bin", "input": "row {i} {(i * 7919) % 1000}\\n for i in range(8000)"},
        "tables": {name: expected_records(tables[name]) for name in sorted(set(files.values()))},
    }
    (OUT / "expected.json").write_text(compact_json(expected), encoding="utf-8")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(files) + len(errors) + 2} files to {OUT} ({total:,} bytes)")


if __name__ == "__main__":
    main()
