/** What the encoder needs to know about a sentence-transformers model folder, read once at load. */
export interface ModelSpec {
  /** The model folder. */
  readonly dir: string;
  /** The ONNX file that will be run. */
  readonly onnxPath: string;
  /** `fp32` for `onnx/model.onnx`, else the suffix of `onnx/model_<variant>.onnx`. */
  readonly variant: string;
  /** Tokens per text after truncation, [CLS] and [SEP] included (sentence_bert_config.json). */
  readonly maxSeqLength: number;
  /** Width of one embedding (1_Pooling/config.json). */
  readonly dimension: number;
  /** Whether a Normalize module follows pooling (modules.json). */
  readonly normalize: boolean;
  /** sentence_bert_config.json's do_lower_case: lower-case text before the tokenizer sees it. */
  readonly lowerCaseInput: boolean;
  /** Contents of tokenizer.json (or an equivalent built from vocab.txt) and tokenizer_config.json. */
  readonly tokenizerJson: Record<string, unknown>;
  readonly tokenizerConfig: Record<string, unknown>;
  /** config.json's model_type, e.g. `distilbert`. */
  readonly modelType: string;
}
