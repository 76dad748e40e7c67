import { DataType, TimeUnit, type Decimal, type Field, type Vector } from 'apache-arrow';
import { arrowStrings } from './arrow-strings.ts';
import { toJsonValue } from './json-value.ts';
import { InvalidUtf8 } from './table-rows.ts';
import { decimalValue, floorMillis, littleEndianWordsSigned } from './payload-values.ts';

type Convert = (value: unknown) => unknown;

/**
 * A getter for an Arrow payload column's JSON-safe values, the same as the Parquet reader gives for the
 * same data (payload-values.ts): apache-arrow hands decimals out as raw 32-bit words, dates and
 * timestamps as epoch milliseconds (fractional, truncated toward zero by `new Date`), and nested values
 * as rows and vectors; the conversion follows the column's type, into lists and structs.
 */
export function arrowPayloadGetter(vector: Vector): (row: number) => unknown {
  const { type } = vector;
  // Timestamps from their integers where they can be: get() has already divided them in floating point.
  if (
    DataType.isTimestamp(type) &&
    type.unit !== TimeUnit.SECOND &&
    type.unit !== TimeUnit.MILLISECOND &&
    vector.data.length === 1
  ) {
    const data = vector.data[0]!;
    const values = data.values as unknown as BigInt64Array;
    const perMilli = type.unit === TimeUnit.MICROSECOND ? 1000n : 1000000n;
    return (i) => (data.getValid(i) ? toJsonValue(new Date(floorMillis(values[i]!, perMilli))) : null);
  }
  // Strings from their bytes, as the text column is read: apache-arrow's getter would drop a leading U+FEFF.
  const strings = arrowStrings(vector);
  if (strings !== undefined)
    return (i) => {
      const value = strings(i);
      return value instanceof InvalidUtf8 ? value.lossy : value;
    };
  const convert = converter(type);
  return (i) => convert(vector.get(i));
}

function converter(type: DataType): Convert {
  if (DataType.isDictionary(type)) return converter(type.dictionary);
  if (DataType.isDecimal(type)) {
    const { scale } = type as Decimal;
    return (value) =>
      value === null || value === undefined
        ? null
        : decimalValue(littleEndianWordsSigned(value as Uint32Array), scale);
  }
  if (DataType.isDate(type) || DataType.isTimestamp(type)) {
    // Epoch milliseconds, fractional for micro- and nanoseconds: floored, as the top-level getter does.
    return (value) =>
      typeof value === 'number' ? toJsonValue(new Date(Math.floor(value))) : toJsonValue(value);
  }
  if (DataType.isList(type) || DataType.isFixedSizeList(type)) {
    const item = converter((type.children as Field[])[0]!.type);
    return (value) =>
      value === null || value === undefined ? null : Array.from(value as Iterable<unknown>, item);
  }
  if (DataType.isStruct(type)) {
    const fields = type.children.map((field) => [field.name, converter(field.type)] as const);
    return (value) => {
      if (value === null || value === undefined) return null;
      const row = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [name, convert] of fields) out[name] = convert(row[name]);
      return out;
    };
  }
  return toJsonValue;
}
