/** Embeddings of a list of texts, in input order, as one contiguous row-major matrix. */
export interface Embeddings {
  /** `count x dimension` floats: row i is the embedding of text i. Wraps as Arrow FixedSizeList<Float32> without copying. */
  readonly vectors: Float32Array;
  readonly count: number;
  readonly dimension: number;
  readonly stats: EncodeStats;
}

export interface EncodeStats {
  readonly texts: number;
  readonly batches: number;
  /** Tokens the model had to see, [CLS]/[SEP] included. */
  readonly realTokens: number;
  /** Tokens actually computed: sum over batches of batch size x padded length. */
  readonly paddedTokens: number;
  /** Texts that reached max_seq_length (truncated, or exactly that long). */
  readonly atMaxLength: number;
}
