"""Arrow IPC and Parquet copies of a benchmark TSV corpus, and the pyarrow peer that reads every format.

Used by bench/corpus/read.ts (bench/README.md, "bench/corpus"); run with a Python that has pyarrow 26
(tools/reference/requirements.txt).

    python tools/bench/corpus_tables.py write CORPUS.tsv OUT_PREFIX ROWS_PER_BATCH
        reads the TSV (id int64, text string) and writes OUT_PREFIX.{arrow,lz4.arrow,zstd.arrow,
        snappy.parquet,zstd.parquet}: Arrow IPC files with record batches of ROWS_PER_BATCH rows
        (uncompressed, LZ4 frame, ZSTD) and Parquet files with row groups of ROWS_PER_BATCH rows
        (snappy, zstd). Each is written to a temporary name and renamed.

    python tools/bench/corpus_tables.py read FORMAT PATH
        the peer: reads the whole file into a pyarrow Table (pyarrow.csv for tsv/tsv.gz, pyarrow.json for
        jsonl/jsonl.gz, the IPC reader for arrow, pyarrow.parquet for parquet; pyarrow's own threads),
        then turns every id and text into a Python object (to_pylist, a batch at a time), and prints one JSON
        line: {rows, seconds, secondsToPython, maxRssKiB}: seconds from before opening to the Table, and to
        the last Python string; peak RSS of the whole process (Table and conversion).
"""

import json
import os
import resource
import sys
import time

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
from pyarrow import ipc

SCHEMA = pa.schema([("id", pa.int64()), ("text", pa.string())])


def read_tsv(path):
    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=["id", "text"], block_size=1 << 22),
        parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False),
        convert_options=pacsv.ConvertOptions(column_types={"id": pa.int64(), "text": pa.string()}),
    )


def write(tsv, prefix, rows_per_batch):
    table = read_tsv(tsv)
    assert table.schema.equals(SCHEMA), table.schema
    for suffix, codec in (("arrow", None), ("lz4.arrow", "lz4"), ("zstd.arrow", "zstd")):
        path = f"{prefix}.{suffix}"
        tmp = f"{path}.partial"
        options = ipc.IpcWriteOptions(compression=codec)
        with pa.OSFile(tmp, "wb") as sink, ipc.new_file(sink, SCHEMA, options=options) as writer:
            for batch in table.to_batches(max_chunksize=rows_per_batch):
                writer.write_batch(batch)
        os.replace(tmp, path)
    for suffix, codec in (("snappy.parquet", "snappy"), ("zstd.parquet", "zstd")):
        path = f"{prefix}.{suffix}"
        tmp = f"{path}.partial"
        pq.write_table(table, tmp, compression=codec, row_group_size=rows_per_batch)
        os.replace(tmp, path)


def read(fmt, path):
    started = time.perf_counter()
    if fmt in ("tsv", "tsv.gz"):
        table = read_tsv(path)  # .gz: decompressed by pyarrow from the name
    elif fmt in ("jsonl", "jsonl.gz"):
        table = pajson.read_json(path, read_options=pajson.ReadOptions(block_size=1 << 22))
    elif fmt == "arrow":
        with pa.memory_map(path) as source:
            table = ipc.open_file(source).read_all()
            # Memory-mapped and uncompressed, read_all copies nothing: validate the text column's UTF-8 so every
            # byte is touched, as our reader (which decodes every text) does.
            table.column("text").validate(full=True)
    elif fmt == "parquet":
        table = pq.read_table(path)
    else:
        raise SystemExit(f"unknown format {fmt}")
    rows = table.num_rows
    seconds = time.perf_counter() - started
    # Then every id and text as a Python object, a batch at a time: what a record stream (ours) hands out.
    for batch in table.to_batches(max_chunksize=65536):
        batch.column("id").to_pylist()
        batch.column("text").to_pylist()
    seconds_to_python = time.perf_counter() - started
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": rows, "seconds": seconds, "secondsToPython": seconds_to_python, "maxRssKiB": max_rss}))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) == 4 and sys.argv[1] == "read":
        read(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
