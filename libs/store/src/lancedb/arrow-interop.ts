import { createRequire } from 'node:module';
import { DataType, type Data, type RecordBatch, type Schema } from 'apache-arrow';
import type * as Arrow from 'apache-arrow';
import { fromRecordBatch, toRecordBatch } from '../embedded-batch.ts';
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.ts';

type ArrowModule = typeof Arrow;

/**
 * The apache-arrow instance that @lancedb/lancedb works with. LanceDB is a CommonJS package, so it
 * `require`s arrow's CommonJS build while this ESM code imports the ESM build: same version, two module
 * instances, and LanceDB's `instanceof arrow.Table` checks fail on our objects (it then tries to
 * rebuild them and throws "Table and inner RecordBatch schemas must be equivalent"). Everything handed
 * to LanceDB is therefore built with, or converted to, this instance.
 */
let lanceArrowModule: ArrowModule | undefined;

function lanceArrow(): ArrowModule {
  lanceArrowModule ??= createRequire(createRequire(import.meta.url).resolve('@lancedb/lancedb'))(
    'apache-arrow',
  ) as ArrowModule;
  return lanceArrowModule;
}

/** The columns a collection's table holds, in order: those of `embeddedBatchSchema`. */
export const TABLE_COLUMNS = ['id', 'vector', 'text', 'payload'] as const;

/**
 * Field metadata that marks `id` as the table's (unenforced) primary key, the key
 * `Table.setUnenforcedPrimaryKey('id')` writes. It is set in the schema the table is created with, so
 * no write can ever reach the table before it: with it, LanceDB 0.31 detects two concurrent
 * `mergeInsert`s that insert the same new id as a commit conflict and re-runs the loser (which then
 * finds the row and updates it); without it both inserts commit and the id is stored twice.
 */
export const PRIMARY_KEY_METADATA = 'lance-schema:unenforced-primary-key:position';

/** A collection's table schema (LanceDB stores the list's `item` child as nullable whatever it is given). */
export function tableSchema(dimension: number): Schema {
  const A = lanceArrow();
  return new A.Schema([
    new A.Field('id', new A.Utf8(), false, new Map([[PRIMARY_KEY_METADATA, '1']])),
    new A.Field('vector', new A.FixedSizeList(dimension, new A.Field('item', new A.Float32(), true)), false),
    new A.Field('text', new A.Utf8(), false),
    new A.Field('payload', new A.Utf8(), true),
  ]);
}

/** A collection's shard ledger: the types LanceDB inferred for ledgers created from a first row. */
export function ledgerSchema(): Schema {
  const A = lanceArrow();
  return new A.Schema([new A.Field('shard', new A.Utf8(), true), new A.Field('records', new A.Float64(), true)]);
}

/** The vector width of a table schema, or undefined when it has no fixed-size `vector` column. */
export function schemaDimension(schema: Schema): number | undefined {
  const type = schema.fields.find((f) => f.name === 'vector')?.type;
  return type !== undefined && DataType.isFixedSizeList(type) ? type.listSize : undefined;
}

export function hasPrimaryKey(schema: Schema): boolean {
  const id = schema.fields.find((f) => f.name === 'id');
  return (
    id !== undefined &&
    [...id.metadata.keys()].some((key) => key.startsWith('lance-schema:unenforced-primary-key'))
  );
}

/**
 * Checks an embedded batch against the collection and turns it into the Arrow table LanceDB takes:
 * only the four columns, in table order, on LanceDB's arrow instance; an id that occurs more than
 * once keeps its last row (LanceDB's merge would insert every copy of a new id). Undefined when the
 * batch is empty.
 */
export function toLanceData(collection: string, dimension: number, batch: RecordBatch): Arrow.Table | undefined {
  for (const column of TABLE_COLUMNS) {
    if (batch.schema.fields.every((f) => f.name !== column)) {
      throw new TypeError(`upsert into collection "${collection}": the batch has no "${column}" column`);
    }
  }
  const width = schemaDimension(batch.schema);
  if (width === undefined) {
    throw new TypeError(
      `upsert into collection "${collection}": the batch's "vector" column is not a fixed-size list of float32`,
    );
  }
  if (width !== dimension) {
    throw new DimensionMismatchError(collection, dimension, width, "the batch's vectors have dimension");
  }
  if (batch.numRows === 0) return undefined;
  const projected = lastOccurrences(batch.select([...TABLE_COLUMNS]));
  const A = lanceArrow();
  if (projected instanceof A.RecordBatch) return new A.Table(projected);
  return new A.Table(onLanceArrow(projected, dimension));
}

/** Tables made by toLanceData for one collection, as one table (their record batches, no copy) for one commit. */
export function joinLanceData(tables: readonly Arrow.Table[]): Arrow.Table {
  if (tables.length === 1) return tables[0]!;
  return new (lanceArrow().Table)(tables.flatMap((table) => table.batches));
}

/**
 * The same columns as a record batch of LanceDB's arrow instance, viewing the same buffers (no copy):
 * the layouts are identical, only the classes differ. (An IPC round trip did this before, at about a
 * tenth of a worker's time per shard.)
 */
function onLanceArrow(batch: RecordBatch, dimension: number): Arrow.RecordBatch {
  const A = lanceArrow();
  const schema = tableSchema(dimension);
  const column = (name: string): Data => batch.getChild(name)!.data[0]!;
  const utf8 = (name: string): Arrow.Data => {
    const data = column(name);
    return A.makeData({
      type: new A.Utf8(),
      offset: data.offset,
      length: data.length,
      nullCount: data.nullCount,
      nullBitmap: data.nullBitmap,
      valueOffsets: data.valueOffsets,
      data: data.values,
    });
  };
  const vectors = column('vector');
  const items = vectors.children[0]!;
  const vectorType = schema.fields[1]!.type as Arrow.FixedSizeList;
  const children = [
    utf8('id'),
    A.makeData({
      type: vectorType,
      offset: vectors.offset,
      length: vectors.length,
      nullCount: vectors.nullCount,
      nullBitmap: vectors.nullBitmap,
      child: A.makeData({
        type: vectorType.children[0]!.type as Arrow.Float32,
        offset: items.offset,
        length: items.length,
        nullCount: items.nullCount,
        nullBitmap: items.nullBitmap,
        data: items.values as Float32Array,
      }),
    }),
    utf8('text'),
    utf8('payload'),
  ];
  const struct = A.makeData({ type: new A.Struct(schema.fields), length: batch.numRows, nullCount: 0, children });
  return new A.RecordBatch(schema, struct);
}

function lastOccurrences(batch: RecordBatch): RecordBatch {
  const ids = batch.getChild('id')!;
  const last = new Map<string, number>();
  for (let i = 0; i < batch.numRows; i++) last.set(ids.get(i) as string, i);
  if (last.size === batch.numRows) return batch;
  const keep = [...last.values()].sort((a, b) => a - b);
  const rows = fromRecordBatch(batch);
  const { dimension } = rows;
  const vectors = new Float32Array(keep.length * dimension);
  keep.forEach((row, i) =>
    vectors.set(rows.vectors.subarray(row * dimension, (row + 1) * dimension), i * dimension),
  );
  return toRecordBatch({
    ids: keep.map((row) => rows.ids[row]!),
    texts: keep.map((row) => rows.texts[row]!),
    payloads: keep.map((row) => rows.payloads?.[row] ?? null),
    vectors,
    dimension,
  });
}
