import type { Encoder } from '@embedline/encoder';
import { createMatrix, type Matrix } from '@embedline/scoring';

/**
 * What evaluation needs of an encoder: the same `encode` that embedded the collection, and `describe`
 * where there is one (its dimension is checked against the collection's before any query is encoded).
 */
export type QueryEncoder = Pick<Encoder, 'encode'> & Partial<Pick<Encoder, 'describe'>>;

/** Texts per encode call: big enough for the encoder's length sorting, small enough to report progress. */
const ENCODE_CHUNK = 4096;

/** Embeds the query texts in order, one row per query. */
export async function encodeQueries(
  encoder: QueryEncoder,
  texts: readonly string[],
  onProgress?: (done: number, total: number) => void,
): Promise<Matrix> {
  let data: Float32Array | undefined;
  let dimension = 0;
  for (let start = 0; start < texts.length; start += ENCODE_CHUNK) {
    const chunk = texts.slice(start, start + ENCODE_CHUNK);
    const embeddings = await encoder.encode(chunk);
    dimension = embeddings.dimension;
    data ??= new Float32Array(texts.length * dimension);
    data.set(embeddings.vectors, start * dimension);
    onProgress?.(start + chunk.length, texts.length);
  }
  return createMatrix(data ?? new Float32Array(0), texts.length, dimension);
}
