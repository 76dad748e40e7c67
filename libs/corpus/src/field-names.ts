/**
 * The names a corpus may give its id and its text, in order of preference: our own (`id`, `text`), BEIR's
 * `_id` (its `corpus.jsonl`, and the Arrow/Parquet copies of it) and Pyserini's `contents` (Anserini's
 * JSONL collections, e.g. MS MARCO passage as `{"id", "contents"}`). The first one present is read; the
 * others, when also present, are payload like any other field.
 */
export const ID_FIELDS = ['id', '_id'] as const;
export const TEXT_FIELDS = ['text', 'contents'] as const;

/** The first of `candidates` that `has` says is present. */
export function firstPresent<T extends string>(
  candidates: readonly T[],
  has: (name: string) => boolean,
): T | undefined {
  return candidates.find(has);
}

/** `"id" or "_id"`, for messages. */
export function describeFields(candidates: readonly string[]): string {
  return candidates.map((name) => `"${name}"`).join(' or ');
}

export interface CorpusColumns {
  readonly id: string;
  readonly text: string;
}

/** The id and text columns of a columnar corpus, or what is missing. */
export function corpusColumns(names: readonly string[]): CorpusColumns | string {
  const id = firstPresent(ID_FIELDS, (name) => names.includes(name));
  const text = firstPresent(TEXT_FIELDS, (name) => names.includes(name));
  const listed = `columns: ${names.join(', ') || 'none'}`;
  if (id === undefined) return `no ${describeFields(ID_FIELDS)} column (${listed})`;
  if (text === undefined) return `no ${describeFields(TEXT_FIELDS)} column (${listed})`;
  return { id, text };
}
