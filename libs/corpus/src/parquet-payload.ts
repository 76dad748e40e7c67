import { parquetSchema, type FileMetaData, type ParquetParsers, type SchemaElement } from 'hyparquet';
import { toJsonValue } from './json-value.ts';
import { bigEndianSigned, decimalValue, floorMillis } from './payload-values.ts';
import { decodeUtf8 } from './table-rows.ts';

/**
 * How the Parquet reader has hyparquet decode a file so that payloads match the Arrow reader's
 * (payload-values.ts):
 *
 * - byte arrays without a string annotation stay bytes (base64 in payloads, like Arrow's binary), where
 *   hyparquet would decode them as UTF-8 text, mangling arbitrary bytes; the id, text and title columns
 *   are decoded from them as strings all the same (textValue), and enums are strings;
 * - top-level decimal columns are read as their unscaled integers and converted here exactly, where
 *   hyparquet divides them in floating point (lossy past 2^53); decimals nested in lists or structs keep
 *   hyparquet's number;
 * - micro- and nanosecond timestamps are floored to the millisecond (hyparquet truncates toward zero).
 */
export interface ParquetDecoding {
  /** The metadata to read with: top-level decimal columns without their decimal annotation. */
  readonly metadata: FileMetaData;
  /** The scale of each top-level decimal column, by name. */
  readonly decimals: ReadonlyMap<string, number>;
}

export function parquetDecoding(metadata: FileMetaData): ParquetDecoding {
  const decimals = new Map<string, number>();
  const stripped = new Set<unknown>();
  for (const column of parquetSchema(metadata).children) {
    const { element } = column;
    const logical = element.logical_type?.type === 'DECIMAL' ? element.logical_type : undefined;
    if (column.children.length > 0 || (element.converted_type !== 'DECIMAL' && logical === undefined))
      continue;
    decimals.set(element.name, logical?.scale ?? element.scale ?? 0);
    stripped.add(element);
  }
  // An enum is text: with `utf8: false` hyparquet would leave it bytes.
  const isEnum = (element: SchemaElement) =>
    element.converted_type === 'ENUM' || element.logical_type?.type === 'ENUM';
  if (decimals.size === 0 && !metadata.schema.some(isEnum)) return { metadata, decimals };
  const schema = metadata.schema.map((element): SchemaElement => {
    if (stripped.has(element)) return { ...element, converted_type: undefined, logical_type: undefined };
    if (isEnum(element)) return { ...element, converted_type: 'UTF8', logical_type: { type: 'STRING' } };
    return element;
  });
  return { metadata: { ...metadata, schema }, decimals };
}

export const PARQUET_PARSERS: Partial<ParquetParsers> = {
  // Strings through our decoder, which keeps invalid UTF-8 visible instead of replacing it.
  stringFromBytes: (bytes: Uint8Array | undefined) => (bytes ? decodeUtf8(bytes) : bytes),
  timestampFromMicroseconds: (micros: bigint) => new Date(floorMillis(BigInt(micros), 1000n)),
  timestampFromNanoseconds: (nanos: bigint) => new Date(floorMillis(BigInt(nanos), 1000000n)),
};

/** A payload value, JSON-safe; `scale` for a top-level decimal column (read as its unscaled integer). */
export function parquetPayloadValue(value: unknown, scale: number | undefined): unknown {
  if (scale === undefined || value === null || value === undefined) return toJsonValue(value);
  const unscaled =
    value instanceof Uint8Array
      ? bigEndianSigned(value)
      : typeof value === 'bigint'
        ? value
        : BigInt(value as number);
  return decimalValue(unscaled, scale);
}

/** An id, text or title value: bytes (a byte array without a string annotation) decoded as UTF-8. */
export function textValue(value: unknown): unknown {
  return value instanceof Uint8Array ? decodeUtf8(value) : value;
}
