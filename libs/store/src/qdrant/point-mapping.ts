// How Embedline rows map to Qdrant points and back: the points upsert writes, the hits search returns,
// and the rows scan yields. Payload layout itself is payload-codec.ts's business.
import type { Schemas } from '@qdrant/js-client-rest';
import type { EmbeddedRows } from '../embedded-batch.ts';
import { pointId } from '../point-id.ts';
import type { SearchHit } from '../vector-store.ts';
import { CORPUS_ID_KEY, decodePayload, encodePayload } from './payload-codec.ts';
import { isWellFormedDeep, toWellFormedDeep } from './well-formed.ts';

type PointStruct = Schemas['PointStruct'];
type ScoredPoint = Schemas['ScoredPoint'];
type StoredRecord = Schemas['Record'];

/** One point per distinct id. Deterministic ids: the last row of a repeated id wins, as one request would apply it. */
export function toPoints(rows: EmbeddedRows, dimension: number): PointStruct[] {
  const points = new Map<number | string, PointStruct>();
  rows.ids.forEach((id, i) => {
    const key = pointId(id);
    const vector = Array.from(rows.vectors.subarray(i * dimension, (i + 1) * dimension));
    const payload = encodePayload(id, rows.texts[i]!, rows.payloads?.[i]);
    points.set(key, { id: key, vector, payload: wellFormed(payload) });
  });
  return [...points.values()];
}

/**
 * The payload with every string made well-formed UTF-16 (a lone surrogate becomes U+FFFD, as TextEncoder, hence
 * the Arrow columns and LanceDB's text, does). A record's payload is carried as JSON text, so a lone surrogate
 * from a JSONL corpus (`"\ud83d"`, as Python writes a broken emoji) reaches the point as one, and Qdrant would
 * refuse the whole batch, and the shard, on every retry. Copied only when it holds one: nearly none do.
 */
function wellFormed(payload: Record<string, unknown>): Record<string, unknown> {
  return isWellFormedDeep(payload) ? payload : (toWellFormedDeep(payload) as Record<string, unknown>);
}

export function toHit(point: ScoredPoint, withPayload: boolean): SearchHit {
  const id = corpusId(point);
  return withPayload
    ? { id, score: point.score, payload: decodePayload(point.payload ?? {}) }
    : { id, score: point.score };
}

/** A page of scrolled points (vectors and payloads included) as rows. */
export function toEmbeddedRows(points: StoredRecord[], dimension: number): EmbeddedRows {
  const vectors = new Float32Array(points.length * dimension);
  points.forEach((point, i) => vectors.set(point.vector as number[], i * dimension));
  return {
    ids: points.map(corpusId),
    texts: points.map((point) => String(decodePayload(point.payload ?? {}).text ?? '')),
    vectors,
    dimension,
    payloads: points.map((point) => {
      const { text: _text, ...rest } = decodePayload(point.payload ?? {});
      return Object.keys(rest).length === 0 ? null : rest;
    }),
  };
}

/** The original corpus id from the payload; the point id for a point written without one. */
function corpusId(point: ScoredPoint | StoredRecord): string {
  const stored = (point.payload ?? {})[CORPUS_ID_KEY];
  return typeof stored === 'string' ? stored : String(point.id);
}
