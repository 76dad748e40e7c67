/**
 * How a record is laid out in a Qdrant point's payload: flat, so that the record's fields can be filtered
 * and indexed by name, with two reserved keys:
 *
 *   { ...recordPayload, id: <corpus id>, text: <passage text> }
 *
 * `id` is the original corpus id (the point id is a number or a UUIDv5 of it, see point-id.ts); a keyword
 * payload index on it is created with the collection. A record whose own payload has an `id` or `text`
 * field keeps those values under `_embedline_shadowed`, so that a search returns exactly
 * `{ text, ...recordPayload }` (the record's own `text` field wins, as in the LanceDB store).
 */
export const CORPUS_ID_KEY = 'id';
export const TEXT_KEY = 'text';
export const SHADOW_KEY = '_embedline_shadowed';

export function encodePayload(
  id: string,
  text: string,
  payload: Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  if (payload === null || payload === undefined) return { [CORPUS_ID_KEY]: id, [TEXT_KEY]: text };
  const shadowed: Record<string, unknown> = {};
  for (const key of [CORPUS_ID_KEY, TEXT_KEY]) if (Object.hasOwn(payload, key)) shadowed[key] = payload[key];
  const encoded: Record<string, unknown> = { ...payload, [CORPUS_ID_KEY]: id, [TEXT_KEY]: text };
  if (Object.keys(shadowed).length > 0) encoded[SHADOW_KEY] = shadowed;
  return encoded;
}

/** The search hit's payload: `{ text, ...recordPayload }`. */
export function decodePayload(stored: Record<string, unknown>): Record<string, unknown> {
  const { [CORPUS_ID_KEY]: _id, [TEXT_KEY]: text, [SHADOW_KEY]: shadowed, ...rest } = stored;
  const decoded: Record<string, unknown> = { text, ...rest };
  if (typeof shadowed === 'object' && shadowed !== null) Object.assign(decoded, shadowed);
  return decoded;
}

