import { REJECT_KINDS, type ReadResult, type RejectedRecord, type RejectKind } from './corpus-record.ts';

/** How many rejects of each kind (kinds with none are absent). */
export type RejectCounts = Partial<Record<RejectKind, number>>;

/** Counts rejects by kind; accepts rejects or whole read results (accepted ones are skipped). */
export function countsByKind(items: Iterable<RejectedRecord | ReadResult>): RejectCounts {
  const counts: RejectCounts = {};
  for (const item of items) {
    const reject = 'ok' in item ? (item.ok ? undefined : item.rejected) : item;
    if (reject) counts[reject.kind] = (counts[reject.kind] ?? 0) + 1;
  }
  return counts;
}

/**
 * The run summary line: `accepted 4,990, rejected 10 (no-separator 2, empty-text 3, ...)`, kinds in
 * REJECT_KINDS order so summaries of different runs line up.
 */
export function formatSummary(accepted: number, counts: RejectCounts): string {
  const parts = REJECT_KINDS.flatMap((kind) => (counts[kind] ? [`${kind} ${format(counts[kind])}`] : []));
  const total = Object.values(counts).reduce((sum, n) => sum + (n ?? 0), 0);
  return `accepted ${format(accepted)}, rejected ${format(total)}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

function format(n: number): string {
  return n.toLocaleString('en-US');
}
