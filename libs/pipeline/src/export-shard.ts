import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordBatchFileWriter, type RecordBatch } from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { fromRecordBatch } from '@embedline/store';

/** The files `--export DIR` leaves for one shard, named by its deterministic key. */
export function exportPaths(dir: string, collection: string, shardKey: string) {
  const folder = join(dir, collection);
  return { folder, arrow: join(folder, `${shardKey}.arrow`), parquet: join(folder, `${shardKey}.parquet`) };
}

/**
 * Writes one shard's embedded batches as an Arrow IPC file and a Parquet file (columns `id`,
 * `vector`, `text`, `payload`; in Parquet `vector` is a LIST<FLOAT>, the dimension is in the
 * key-value metadata). Each file is written under a temporary name and renamed into place, so a
 * reader never sees half a file and a retried shard replaces its files instead of adding new ones.
 */
export async function exportShard(
  dir: string,
  collection: string,
  shardKey: string,
  batches: readonly RecordBatch[],
): Promise<void> {
  const paths = exportPaths(dir, collection, shardKey);
  await mkdir(paths.folder, { recursive: true });
  await writeAtomically(paths.arrow, await RecordBatchFileWriter.writeAll(batches).toUint8Array());
  await writeAtomically(paths.parquet, new Uint8Array(toParquet(batches)));
}

async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  // The process id keeps two workers that hold the same shard (a lost lock) off each other's temp file.
  const temporary = `${path}.${process.pid}.partial`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function toParquet(batches: readonly RecordBatch[]): ArrayBuffer {
  const ids: string[] = [];
  const vectors: number[][] = [];
  const texts: string[] = [];
  const payloads: (string | null)[] = [];
  let dimension = 0;
  for (const batch of batches) {
    const rows = fromRecordBatch(batch);
    // The payload column already holds JSON text: copied as is, not parsed and re-serialized.
    const payloadColumn = batch.getChild('payload');
    dimension = rows.dimension;
    rows.ids.forEach((id, i) => {
      ids.push(id);
      vectors.push(Array.from(rows.vectors.subarray(i * rows.dimension, (i + 1) * rows.dimension)));
      texts.push(rows.texts[i]!);
      payloads.push((payloadColumn?.get(i) as string | null | undefined) ?? null);
    });
  }
  return parquetWriteBuffer({
    columnData: [
      { name: 'id', data: ids },
      { name: 'vector', data: vectors },
      { name: 'text', data: texts },
      { name: 'payload', data: payloads },
    ],
    schema: [
      { name: 'root', num_children: 4 },
      { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      // The standard three-level list, which pyarrow, DuckDB and Spark read as list<float>.
      { name: 'vector', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED' },
      { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      { name: 'payload', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    ],
    kvMetadata: [{ key: 'embedline.dimension', value: String(dimension) }],
  });
}
