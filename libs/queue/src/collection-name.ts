import { z } from 'zod';

/**
 * Collection names go into Redis keys, BullMQ job ids, LanceDB table names and Qdrant URLs, so
 * they are kept to a character set all of them accept (no `:`, which BullMQ refuses in job ids).
 */
export const collectionNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'collection names are 1-64 letters, digits, "_" or "-", starting with a letter or digit')
  // The stores keep each collection's shard ledger beside it as `<name>__shards`.
  .refine((name) => !name.endsWith('__shards'), 'names ending in "__shards" are reserved for the stores\' shard ledgers');

export function parseCollectionName(name: string): string {
  const parsed = collectionNameSchema.safeParse(name);
  if (!parsed.success) throw new TypeError(`invalid collection name "${name}": ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}
