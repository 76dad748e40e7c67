import { readFileSync } from 'node:fs';
import { ModelLoadError } from '../errors/model-load-error.ts';

/**
 * Builds the tokenizer.json that Hugging Face's BertTokenizerFast would build from a bare `vocab.txt`
 * (older model folders ship no tokenizer.json): BERT normalizer, BERT pre-tokenizer, WordPiece with
 * `##` continuations and [UNK] for words past 100 characters, and `[CLS] $A [SEP]` post-processing.
 */
export function tokenizerJsonFromVocab(vocabPath: string, config: Record<string, unknown>): Record<string, unknown> {
  const lines = readFileSync(vocabPath, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const vocab: Record<string, number> = {};
  lines.forEach((token, id) => {
    vocab[token.replace(/\r$/, '')] = id;
  });
  const token = (key: string, fallback: string): string => {
    const value = config[key];
    const name = typeof value === 'string' ? value : fallback;
    if (!(name in vocab)) throw new ModelLoadError(vocabPath, `special token ${name} (${key}) is not in the vocabulary`);
    return name;
  };
  const unk = token('unk_token', '[UNK]');
  const cls = token('cls_token', '[CLS]');
  const sep = token('sep_token', '[SEP]');
  const special = (name: string) => ({ id: name, ids: [vocab[name]], tokens: [name] });
  // BertTokenizerFast registers the special tokens as added tokens, so a literal "[SEP]" in the text
  // becomes the special id rather than "[", "sep", "]".
  const specialNames = [unk, cls, sep, token('pad_token', '[PAD]'), token('mask_token', '[MASK]')];
  const addedTokens = [...new Set(specialNames)]
    .map((content) => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }))
    .sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: config.tokenize_chinese_chars !== false,
      strip_accents: typeof config.strip_accents === 'boolean' ? config.strip_accents : null,
      lowercase: config.do_lower_case !== false,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: cls, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: sep, type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: cls, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: sep, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: sep, type_id: 1 } },
      ],
      special_tokens: { [cls]: special(cls), [sep]: special(sep) },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}
