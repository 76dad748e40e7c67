import { loadModelSpec, TextTokenizer } from '@embedline/encoder';

/** Whether the model reads less than all of a text: past max_seq_length tokens it is cut, as sentence-transformers does. */
export type TruncationCheck = (text: string) => boolean;

/** For models that never cut (test doubles). */
export const NEVER_TRUNCATED: TruncationCheck = () => false;

/**
 * The check for a model folder. The encoder's own tokenizer stops at max_seq_length tokens, so a text of
 * exactly that many cannot be told from a longer one; a tokenizer allowed one token more can. It tokenizes
 * no more than that (a 1 MB text costs its first few KB), microseconds beside the inference.
 */
export function truncationCheck(model: {
  modelDir: string;
  variant: string;
  maxSeqLength?: number;
}): TruncationCheck {
  const spec = loadModelSpec(model.modelDir, { variant: model.variant });
  const limit = model.maxSeqLength ?? spec.maxSeqLength;
  const tokenizer = new TextTokenizer({ ...spec, maxSeqLength: limit + 1 });
  return (text) => tokenizer.encode(text).length > limit;
}
