import { LRUCache } from 'lru-cache';
import type { Embeddings } from '@embedline/encoder';
import type { ApiMetrics } from './metrics.ts';
import { MicroBatcher } from './micro-batcher.ts';
import { NEVER_TRUNCATED, type TruncationCheck } from './truncation.ts';

/** The part of `Encoder` the API uses (tests may hand in any model folder's encoder). */
export interface EmbeddingModel {
  encode(texts: readonly string[]): Promise<Embeddings>;
  describe(): {
    readonly dimension: number;
    readonly modelDir: string;
    readonly variant: string;
    /** Tokens the model reads of a text (sentence-transformers' max_seq_length); the folder's when absent. */
    readonly maxSeqLength?: number;
  };
}

export interface QueryEncoderOptions {
  readonly batchWaitMs: number;
  readonly batchMaxTexts: number;
  /** Entries kept in the LRU cache; 0 turns it off. */
  readonly cacheSize: number;
  /** Which texts the model cuts (see truncation.ts); none when absent. */
  readonly truncation?: TruncationCheck;
}

/**
 * Query texts to vectors for the routes: repeated queries come from an LRU cache, the rest are
 * micro-batched into shared inference calls (see MicroBatcher). Vectors are L2-normalized by the model.
 */
export class QueryEncoder {
  private readonly batcher: MicroBatcher<string, Float32Array>;
  private readonly cache: LRUCache<string, Float32Array> | undefined;
  private readonly truncation: TruncationCheck;
  readonly dimension: number;

  constructor(
    private readonly encoder: EmbeddingModel,
    options: QueryEncoderOptions,
    private readonly metrics: ApiMetrics,
  ) {
    this.dimension = encoder.describe().dimension;
    this.cache = options.cacheSize > 0 ? new LRUCache({ max: options.cacheSize }) : undefined;
    this.truncation = options.truncation ?? NEVER_TRUNCATED;
    this.batcher = new MicroBatcher((texts) => encodeRows(encoder, texts), {
      maxWaitMs: options.batchWaitMs,
      maxBatch: options.batchMaxTexts,
      onBatch: (report) => metrics.observeEncoderBatch(report),
    });
  }

  /** One vector per text, in order. */
  async encode(texts: readonly string[]): Promise<Float32Array[]> {
    const vectors: (Float32Array | undefined)[] = texts.map((text) => this.cache?.get(text));
    const missing = texts.filter((_, i) => vectors[i] === undefined);
    this.metrics.queryCache.inc({ result: 'hit' }, texts.length - missing.length);
    if (missing.length === 0) return vectors as Float32Array[];
    this.metrics.queryCache.inc({ result: 'miss' }, missing.length);
    const encoded = await this.batcher.submit(missing);
    let next = 0;
    return vectors.map((cached, i) => {
      if (cached !== undefined) return cached;
      const vector = encoded[next++]!;
      this.cache?.set(texts[i]!, vector);
      return vector;
    });
  }

  /**
   * Per text, whether the model embeds only its first max_seq_length tokens (a longer text is cut). Each cut
   * text is counted in embedline_api_truncated_texts_total: ask once per request's texts.
   */
  truncated(texts: readonly string[]): boolean[] {
    const truncated = texts.map(this.truncation);
    this.metrics.truncatedTexts.inc(truncated.filter(Boolean).length);
    return truncated;
  }

  describe() {
    return this.encoder.describe();
  }
}

/** One vector per text: the rows of the encoder's `count x dimension` output, copied out. */
async function encodeRows(encoder: EmbeddingModel, texts: readonly string[]): Promise<Float32Array[]> {
  const { vectors, dimension } = await encoder.encode(texts);
  return texts.map((_, row) => vectors.slice(row * dimension, (row + 1) * dimension));
}
