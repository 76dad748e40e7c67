import { LRUCache } from 'lru-cache';
import type { Embeddings } from '@embedline/encoder';
import type { ApiMetrics } from './metrics.ts';
import { MicroBatcher } from './micro-batcher.ts';

/**
 * The part of `Encoder` the API uses (tests may hand in any model folder's encoder). Which texts were cut
 * comes from `encode()`'s `truncated`, which the encoder learns while tokenizing: the API never tokenizes.
 */
export interface EmbeddingModel {
  encode(texts: readonly string[]): Promise<Embeddings>;
  describe(): {
    readonly dimension: number;
    readonly modelDir: string;
    readonly variant: string;
  };
}

/** A query text's vector, and whether the model read only part of the text. */
export interface QueryVector {
  /** L2-normalized by the model. Shared with the cache: read it, do not write it. */
  readonly vector: Float32Array;
  /** The text was longer than max_seq_length tokens: only its first max_seq_length were embedded. */
  readonly truncated: boolean;
}

export interface QueryEncoderOptions {
  readonly batchWaitMs: number;
  readonly batchMaxTexts: number;
  /** Entries kept in the LRU cache; 0 turns it off. */
  readonly cacheSize: number;
}

/**
 * Query texts to vectors for the routes: repeated queries come from an LRU cache, the rest are
 * micro-batched into shared inference calls (see MicroBatcher). The cache keeps each vector with its
 * `truncated` flag, so a cached query is reported as it was the first time.
 */
export class QueryEncoder {
  private readonly batcher: MicroBatcher<string, QueryVector>;
  private readonly cache: LRUCache<string, QueryVector> | undefined;
  readonly dimension: number;

  constructor(
    private readonly encoder: EmbeddingModel,
    options: QueryEncoderOptions,
    private readonly metrics: ApiMetrics,
  ) {
    this.dimension = encoder.describe().dimension;
    this.cache = options.cacheSize > 0 ? new LRUCache({ max: options.cacheSize }) : undefined;
    this.batcher = new MicroBatcher((texts) => encodeRows(encoder, texts), {
      maxWaitMs: options.batchWaitMs,
      maxBatch: options.batchMaxTexts,
      onBatch: (report) => metrics.observeEncoderBatch(report),
    });
  }

  /**
   * One vector per text, in order, each with whether its text was cut. Each cut text is counted in
   * embedline_api_truncated_texts_total, cached or not: call it once per request's texts.
   */
  async encode(texts: readonly string[]): Promise<QueryVector[]> {
    const queries = await this.cachedOrEncoded(texts);
    this.metrics.truncatedTexts.inc(queries.filter((query) => query.truncated).length);
    return queries;
  }

  private async cachedOrEncoded(texts: readonly string[]): Promise<QueryVector[]> {
    const cached: (QueryVector | undefined)[] = texts.map((text) => this.cache?.get(text));
    const missing = texts.filter((_, i) => cached[i] === undefined);
    this.metrics.queryCache.inc({ result: 'hit' }, texts.length - missing.length);
    if (missing.length === 0) return cached as QueryVector[];
    this.metrics.queryCache.inc({ result: 'miss' }, missing.length);
    const encoded = await this.batcher.submit(missing);
    let next = 0;
    return cached.map((hit, i) => {
      if (hit !== undefined) return hit;
      const query = encoded[next++]!;
      this.cache?.set(texts[i]!, query);
      return query;
    });
  }

  describe() {
    return this.encoder.describe();
  }
}

/** One vector per text: the rows of the encoder's `count x dimension` output, copied out, with their flags. */
async function encodeRows(encoder: EmbeddingModel, texts: readonly string[]): Promise<QueryVector[]> {
  const { vectors, dimension, truncated } = await encoder.encode(texts);
  return texts.map((_, row) => ({
    vector: vectors.slice(row * dimension, (row + 1) * dimension),
    truncated: truncated[row] === 1,
  }));
}
