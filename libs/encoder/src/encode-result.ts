/** Embeddings of a list of texts, in input order, as one contiguous row-major matrix. */
export interface Embeddings {
  /** `count x dimension` floats: row i is the embedding of text i. Wraps as Arrow FixedSizeList<Float32> without copying. */
  readonly vectors: Float32Array;
  readonly count: number;
  readonly dimension: number;
  /**
   * 1 at row i when text i had more than max_seq_length tokens, so only its first max_seq_length were
   * embedded (as sentence-transformers cuts); 0 when it was read whole, a text of exactly max_seq_length
   * tokens included.
   */
  readonly truncated: Uint8Array;
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
