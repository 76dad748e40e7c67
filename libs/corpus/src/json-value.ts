import { InvalidUtf8 } from './table-rows.ts';

/**
 * A column value made safe for JSON, since payloads travel in queue jobs and into stores: bigints
 * become numbers when exact, else decimal strings; dates ISO strings; binary base64; Arrow vectors,
 * rows and typed arrays plain arrays and objects; undecodable strings their lossy decoding.
 */
export function toJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null; // JSON has no NaN or Infinity
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value.toString();
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value instanceof InvalidUtf8) return value.lossy;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>, toJsonValue);
  if (Array.isArray(value)) return value.map(toJsonValue);
  // Arrow Vectors, StructRows and MapRows all know how to become plain values.
  const toArray = (value as { toArray?: () => unknown }).toArray;
  if (typeof toArray === 'function' && Symbol.iterator in value)
    return Array.from(value as Iterable<unknown>, toJsonValue);
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  const plain = typeof toJSON === 'function' ? toJSON.call(value) : value;
  if (plain !== value) return toJsonValue(plain);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = toJsonValue(item);
  return out;
}
