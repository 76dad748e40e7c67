import { createHash } from 'node:crypto';

/**
 * Deterministic job ids: the same corpus (same fingerprint) split the same way gives the same ids,
 * so running `ingest` again after a crash adds nothing BullMQ already holds. Ids use "-" because
 * BullMQ refuses ":" in custom ids, and never consist of digits only.
 */
export function shardKey(fingerprint: string, shardIndex: number, titleField?: string): string {
  return `${fingerprint.slice(0, 16)}-${titleTag(titleField)}${String(shardIndex).padStart(7, '0')}`;
}

/**
 * How the shards were embedded is part of their key, so the store's ledger (which outlives Redis) tells a
 * re-run how the shards it holds were embedded: nothing for the text alone (the keys of every ingest made
 * before titles could be embedded), `t<8 hex>-` (a hash of the field's name) for title + text.
 */
function titleTag(titleField: string | undefined): string {
  if (titleField === undefined) return '';
  return `t${createHash('sha256').update(titleField).digest('hex').slice(0, 8)}-`;
}

/** Whether `key` (a shardKey) names a shard of the corpus with this fingerprint, however it was embedded. */
export function isShardOf(key: string, fingerprint: string): boolean {
  return key.startsWith(`${fingerprint.slice(0, 16)}-`);
}

/** Whether `key` (a shard of this corpus: isShardOf) was embedded with this title field (undefined: the text alone). */
export function isEmbeddedWith(key: string, fingerprint: string, titleField: string | undefined): boolean {
  const rest = key.slice(fingerprint.slice(0, 16).length + 1);
  const tag = titleTag(titleField);
  return rest.startsWith(tag) && /^\d+$/.test(rest.slice(tag.length));
}

export function shardJobId(
  collection: string,
  fingerprint: string,
  shardIndex: number,
  titleField?: string,
): string {
  return `shard-${collection}-${shardKey(fingerprint, shardIndex, titleField)}`; // starts with shardJobIdPrefix
}

/**
 * What every shard job id of one ingest (collection and corpus) starts with; without a fingerprint, of any ingest
 * into the collection (and into collections whose name extends it: "docs-" also starts "docs-v2"'s ids).
 */
export function shardJobIdPrefix(collection: string, fingerprint?: string): string {
  return fingerprint === undefined
    ? `shard-${collection}-`
    : `shard-${collection}-${fingerprint.slice(0, 16)}-`;
}

export function finalizeJobId(collection: string, fingerprint: string): string {
  return `finalize-${collection}-${fingerprint.slice(0, 16)}`;
}

/** The child that holds the finalize job back until the producer has enqueued every shard. */
export function sealJobId(collection: string, fingerprint: string): string {
  return `seal-${collection}-${fingerprint.slice(0, 16)}`;
}

export function deadLetterJobId(shardJob: string): string {
  return `dead-${shardJob}`;
}
