import {
  asyncBufferFromFile,
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
  type AsyncBuffer,
  type FileMetaData,
  type SchemaTree,
} from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { ReadResult } from './corpus-record.ts';
import { rejected } from './corpus-record.ts';
import { checkDuplicate } from './duplicates.ts';
import { CorpusError } from './errors/corpus-error.ts';
import { IdRegistry } from './id-registry.ts';
import { corpusColumns, type CorpusColumns } from './field-names.ts';
import { toJsonValue } from './json-value.ts';
import { PARQUET_PARSERS, parquetDecoding, parquetPayloadValue, textValue } from './parquet-payload.ts';
import { rowResult } from './table-rows.ts';
import { checkTitle, checkTitleColumn } from './title-field.ts';

interface ParquetFile {
  readonly file: AsyncBuffer;
  readonly metadata: FileMetaData;
  readonly columns: CorpusColumns;
}

/** Reads a Parquet file's footer and checks its `id` and `text` columns: a bad file fails at open. */
export async function checkParquetFile(path: string, titleField?: string): Promise<void> {
  await openParquet(path, titleField);
}

/**
 * Reads a Parquet file one row group at a time (hyparquet, pure JS; snappy, gzip, zstd, brotli and
 * lz4 pages through hyparquet-compressors): memory is one decoded row group, whatever the file's
 * size, so files written with huge row groups cost more. Rows follow the same id and text rules as
 * the line formats; other columns go to `payload` as JSON-safe values. `line` is the 1-based row
 * number and `byteOffset` the 0-based row group index. A row group that cannot be decoded is
 * rejected row by row ('bad-row', so the counts stay exact) and reading goes on with the next one:
 * row groups are independent.
 */
export async function* readParquetRecords(
  path: string,
  options: { readonly dedupe: boolean; readonly titleField?: string },
): AsyncGenerator<ReadResult> {
  const registry = options.dedupe ? new IdRegistry() : undefined;
  const { titleField } = options;
  const { file, metadata, columns } = await openParquet(path, titleField);
  const names = parquetSchema(metadata).children.map((c) => c.element.name);
  const others = names.filter((name) => name !== columns.id && name !== columns.text);
  const decoding = parquetDecoding(metadata);
  let row = 0;
  for (const [index, group] of metadata.row_groups.entries()) {
    const count = Number(group.num_rows);
    let rows: Record<string, unknown>[] = [];
    let failure: string | undefined;
    try {
      rows = await parquetReadObjects({
        file,
        metadata: decoding.metadata,
        rowStart: row,
        rowEnd: row + count,
        compressors,
        parsers: PARQUET_PARSERS,
        utf8: false, // binary stays bytes (parquet-payload.ts)
      });
    } catch (error) {
      failure = `row group ${index} could not be decoded (${error instanceof Error ? error.message : String(error)})`;
    }
    for (const [i, values] of rows.entries()) {
      // Decoded once, for the check and the payload. The raw value, before toJsonValue: a title that is not
      // UTF-8 is rejected rather than embedded lossy. The title column is text even when written as a byte
      // array without a string annotation.
      const title = titleField === undefined ? undefined : textValue(values[titleField]);
      let payload: Record<string, unknown> | null = null;
      if (others.length > 0) {
        payload = {};
        for (const name of others) {
          payload[name] =
            name === titleField
              ? toJsonValue(title)
              : parquetPayloadValue(values[name], decoding.decimals.get(name));
        }
      }
      const id = textValue(values[columns.id]);
      const result = rowResult(row + i + 1, index, id, textValue(values[columns.text]), payload);
      yield checkDuplicate(registry, checkTitle(result, titleField, title), 'row');
    }
    failure ??=
      rows.length < count
        ? `row group ${index} holds ${rows.length} of the ${count} rows its metadata counts`
        : undefined;
    for (let i = rows.length; i < count; i++) yield rejected(row + i + 1, index, 'bad-row', failure!);
    row += count;
  }
}

async function openParquet(path: string, titleField: string | undefined): Promise<ParquetFile> {
  let file: AsyncBuffer;
  let metadata: FileMetaData;
  try {
    file = await asyncBufferFromFile(path);
  } catch (error) {
    throw new CorpusError(path, `cannot open: ${(error as Error).message}`, { cause: error });
  }
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new CorpusError(path, `not a readable Parquet file (${(error as Error).message})`, {
      cause: error,
    });
  }
  return { file, metadata, columns: checkColumns(path, parquetSchema(metadata).children, titleField) };
}

function checkColumns(path: string, schema: SchemaTree[], titleField: string | undefined): CorpusColumns {
  const byName = new Map(schema.map((c) => [c.element.name, c]));
  const columns = corpusColumns([...byName.keys()]);
  if (typeof columns === 'string') throw new CorpusError(path, columns);
  const describe = (c: SchemaTree) =>
    c.children.length > 0
      ? 'a nested column'
      : `${c.element.type}${c.element.repetition_type === 'REPEATED' ? ' (repeated)' : ''}`;
  const flat = (c: SchemaTree) => c.children.length === 0 && c.element.repetition_type !== 'REPEATED';
  const text = byName.get(columns.text)!;
  if (!flat(text) || text.element.type !== 'BYTE_ARRAY') {
    throw new CorpusError(
      path,
      `column "${columns.text}" is ${describe(text)}, expected a string (BYTE_ARRAY) column`,
    );
  }
  const title = titleField === undefined ? undefined : byName.get(titleField);
  checkTitleColumn(path, titleField, {
    names: [...byName.keys()],
    title: title && { type: describe(title), isString: flat(title) && title.element.type === 'BYTE_ARRAY' },
    stringType: 'BYTE_ARRAY',
  });
  const id = byName.get(columns.id)!;
  const idTypes = ['BYTE_ARRAY', 'INT32', 'INT64', 'FLOAT', 'DOUBLE'];
  if (!flat(id) || !idTypes.includes(id.element.type ?? '')) {
    throw new CorpusError(
      path,
      `column "${columns.id}" is ${describe(id)}, expected a string or integer column`,
    );
  }
  return columns;
}
