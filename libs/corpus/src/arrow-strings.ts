import { DataType, type Data, type Vector } from 'apache-arrow';
import { decodeUtf8, type InvalidUtf8 } from './table-rows.ts';

/** One row's string: the text, its lossy text when the bytes were not UTF-8, or null. */
export type StringGetter = (row: number) => string | InvalidUtf8 | null;

/**
 * Reads a string column (Utf8, LargeUtf8, or a dictionary of them) from its UTF-8 bytes, or undefined for
 * any other column. Why not apache-arrow's getter: it decodes with TextDecoder, which drops a leading U+FEFF
 * (so a value would differ from the same file read as Parquet or JSONL) and turns invalid UTF-8 into U+FFFD
 * without a word (a text or id must be rejected as `bad-utf8` instead).
 */
export function arrowStrings(vector: Vector): StringGetter | undefined {
  if (!isStringOrDictionaryOfStrings(vector.type)) return undefined;
  const chunks = vector.data.map(chunkStrings);
  if (chunks.length === 1) return chunks[0]!;
  const starts: number[] = [];
  let start = 0;
  for (const data of vector.data) {
    starts.push(start);
    start += data.length;
  }
  return (row) => {
    let chunk = chunks.length - 1;
    while (starts[chunk]! > row) chunk -= 1;
    return chunks[chunk]!(row - starts[chunk]!);
  };
}

function isStringOrDictionaryOfStrings(type: DataType): boolean {
  const valueType = DataType.isDictionary(type) ? type.dictionary : type;
  return DataType.isUtf8(valueType) || DataType.isLargeUtf8(valueType);
}

function chunkStrings(data: Data): StringGetter {
  if (DataType.isDictionary(data.type)) {
    const dictionary = arrowStrings(data.dictionary!)!;
    const keys = data.values as ArrayLike<number | bigint>;
    return (row) => (data.getValid(row) ? dictionary(Number(keys[row])) : null);
  }
  const { values, valueOffsets } = data as unknown as {
    values: Uint8Array;
    valueOffsets: Int32Array | BigInt64Array;
  };
  const bytes = (row: number) => values.subarray(Number(valueOffsets[row]), Number(valueOffsets[row + 1]));
  if (data.nullCount === 0) return (row) => decodeUtf8(bytes(row));
  return (row) => (data.getValid(row) ? decodeUtf8(bytes(row)) : null);
}
