/**
 * A query's documents in rank order: score descending, equal scores by document id descending.
 *
 * The tie rule is trec_eval's (it sorts by score, then `strcmp` of the docnos in reverse), and so
 * pytrec_eval's: ties are common in runs written with few decimals, and any other rule would give
 * metrics that disagree with the reference tools. Ids compare by UTF-16 code unit, which is byte
 * order for ASCII ids. The rank column of a run file is ignored, as trec_eval ignores it.
 */
export function rankDocuments(scores: ReadonlyMap<string, number>, query = '?'): string[] {
  const entries = [...scores];
  for (const [doc, score] of entries) {
    if (typeof score !== 'number' || Number.isNaN(score)) {
      throw new Error(
        `run: query ${query} document ${doc} has score ${String(score)}, which cannot be ranked`,
      );
    }
  }
  entries.sort(([idA, scoreA], [idB, scoreB]) =>
    trecEvalOrder({ id: idA, score: scoreA }, { id: idB, score: scoreB }),
  );
  return entries.map(([doc]) => doc);
}

/** trec_eval's order of two scored documents (see rankDocuments): score descending, equal scores by id descending. */
export function trecEvalOrder(
  a: { readonly id: string; readonly score: number },
  b: { readonly id: string; readonly score: number },
): number {
  if (a.score !== b.score) return a.score > b.score ? -1 : 1;
  if (a.id === b.id) return 0;
  return a.id < b.id ? 1 : -1;
}
