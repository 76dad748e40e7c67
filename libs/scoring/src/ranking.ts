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
  entries.sort(byScoreThenIdDescending);
  return entries.map(([doc]) => doc);
}

function byScoreThenIdDescending([docA, a]: [string, number], [docB, b]: [string, number]): number {
  if (a !== b) return a > b ? -1 : 1;
  if (docA === docB) return 0;
  return docA < docB ? 1 : -1;
}
