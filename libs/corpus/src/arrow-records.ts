import { open, type FileHandle } from 'node:fs/promises';
import { DataType, RecordBatchReader, type RecordBatch, type Schema, type Vector } from 'apache-arrow';
import type { ReadResult } from './corpus-record.ts';
import { rejected } from './corpus-record.ts';
import { checkDuplicate } from './duplicates.ts';
import { inspectIpc, uncompressedIpcStream, type StreamFailure } from './arrow-ipc.ts';
import { arrowPayloadGetter } from './arrow-payload.ts';
import { CorpusError } from './errors/corpus-error.ts';
import { IdRegistry } from './id-registry.ts';
import { toJsonValue } from './json-value.ts';
import { corpusColumns, type CorpusColumns } from './field-names.ts';
import { arrowStrings } from './arrow-strings.ts';
import { rowResult } from './table-rows.ts';
import { checkTitle, checkTitleColumn } from './title-field.ts';

type Getter = (row: number) => unknown;

/**
 * Checks that a file is an Arrow IPC file or stream with usable `id` and `text` columns, so a bad
 * file fails when the corpus is opened, not halfway through a run.
 */
export async function checkArrowFile(path: string, titleField?: string): Promise<void> {
  const handle = await openHandle(path);
  try {
    await openReader(path, handle, titleField);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Reads an Arrow IPC file (`.arrow`, `.feather` v2) or stream (`.arrows`) one record batch at a
 * time: memory is one batch, whatever the file's size. Rows become records with the same id and
 * text rules as the line formats; other columns go to `payload` as JSON-safe values. `line` is the
 * 1-based row number and `byteOffset` the 0-based batch index. A batch that cannot be decoded ends
 * the read with one 'bad-batch' reject: the rows after it cannot be numbered (an IPC stream cannot
 * be resumed past a broken message at all).
 */
export async function* readArrowRecords(
  path: string,
  options: { readonly dedupe: boolean; readonly titleField?: string },
): AsyncGenerator<ReadResult> {
  const registry = options.dedupe ? new IdRegistry() : undefined;
  const { titleField } = options;
  const handle = await openHandle(path);
  try {
    const { reader, columns, failure } = await openReader(path, handle, titleField);
    const batches = reader[Symbol.asyncIterator]();
    let row = 0;
    for (let index = 0; ; index++) {
      let next: IteratorResult<RecordBatch>;
      try {
        next = await batches.next();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        yield rejected(
          row + 1,
          index,
          'bad-batch',
          `record batch ${index} could not be read (${message}); the rest of the file is lost`,
        );
        return;
      }
      if (next.done) {
        // A compressed file's batch that could not be read or decompressed ends its stream early.
        const error = failure.error;
        if (error !== undefined)
          yield rejected(
            row + 1,
            index,
            'bad-batch',
            `record batch ${index} could not be read (${error.message}); the rest of the file is lost`,
          );
        return;
      }
      const batch = next.value;
      const id = stringOrValue(batch.getChild(columns.id)!);
      const text = stringOrValue(batch.getChild(columns.text)!);
      // Read from its bytes as the text is, so a title that is not UTF-8 is rejected rather than embedded lossy.
      const titleColumn = titleField === undefined ? undefined : batch.getChild(titleField)!;
      const title = titleColumn && stringOrValue(titleColumn);
      const others = batch.schema.fields
        .map((field, i) => [field.name, arrowPayloadGetter(batch.getChildAt(i)!)] as const)
        .filter(([name]) => name !== columns.id && name !== columns.text);
      for (let i = 0; i < batch.numRows; i++) {
        const rowTitle = title?.(i); // decoded once, for the check and the payload
        let payload: Record<string, unknown> | null = null;
        if (others.length > 0) {
          payload = {};
          for (const [name, value] of others)
            // The title decoded once serves the payload too (a title that is not UTF-8 is rejected, payload and all).
            payload[name] = name === titleField ? toJsonValue(rowTitle) : value(i);
        }
        const result = rowResult(row + i + 1, index, id(i), text(i), payload);
        yield checkDuplicate(registry, checkTitle(result, titleField, rowTitle), 'row');
      }
      row += batch.numRows;
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function openHandle(path: string): Promise<FileHandle> {
  try {
    return await open(path);
  } catch (error) {
    throw new CorpusError(path, `cannot open: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * A FileHandle rather than a read stream: from a stream, apache-arrow reads an IPC *file* whole into
 * memory, while from a handle it seeks batch by batch through the footer (and reads a stream in order).
 */
async function openReader(path: string, handle: FileHandle, titleField: string | undefined) {
  // apache-arrow 18 cannot decompress record batches: a compressed file is read as an uncompressed stream.
  const layout = await inspectIpc(path, handle);
  const failure: StreamFailure = {};
  let reader;
  try {
    reader =
      layout?.compression === undefined
        ? await RecordBatchReader.from(handle)
        : await RecordBatchReader.from(uncompressedIpcStream(handle, layout, failure));
    await reader.open();
  } catch (error) {
    throw new CorpusError(path, `not a readable Arrow IPC file or stream (${(error as Error).message})`, {
      cause: error,
    });
  }
  // An empty or non-Arrow file can come back as a stream reader with no schema.
  const schema = reader.schema as Schema | undefined;
  if (!schema)
    throw new CorpusError(path, 'not a readable Arrow IPC file or stream (no schema: empty, or not Arrow)');
  return { reader, columns: checkColumns(path, schema, titleField), failure };
}

function checkColumns(path: string, schema: Schema, titleField: string | undefined): CorpusColumns {
  const columns = corpusColumns(schema.fields.map((f) => f.name));
  if (typeof columns === 'string') throw new CorpusError(path, columns);
  const title = schema.fields.find((f) => f.name === titleField);
  checkTitleColumn(path, titleField, {
    names: schema.fields.map((f) => f.name),
    title: title && { type: String(title.type), isString: isString(title.type) },
    stringType: 'Utf8',
  });
  const idType = schema.fields.find((f) => f.name === columns.id)!.type;
  const textType = schema.fields.find((f) => f.name === columns.text)!.type;
  if (!isString(textType))
    throw new CorpusError(
      path,
      `column "${columns.text}" is ${String(textType)}, expected a string (Utf8) column`,
    );
  if (!isString(idType) && !DataType.isInt(idType) && !DataType.isFloat(idType)) {
    throw new CorpusError(
      path,
      `column "${columns.id}" is ${String(idType)}, expected a string or integer column`,
    );
  }
  return columns;
}

function isString(type: DataType): boolean {
  const valueType = DataType.isDictionary(type) ? type.dictionary : type;
  return DataType.isUtf8(valueType) || DataType.isLargeUtf8(valueType);
}

/** String columns from their bytes (arrow-strings.ts: invalid UTF-8 caught, values as written); others through `get`. */
function stringOrValue(vector: Vector): Getter {
  return arrowStrings(vector) ?? ((i) => vector.get(i));
}
