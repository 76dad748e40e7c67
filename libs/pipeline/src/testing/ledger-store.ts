import type { IngestOptions } from '../ingest-corpus.ts';

/**
 * The store as ingestCorpus uses it, for tests that run only the producer: the shard ledger a first run left
 * (empty by default), and no collection yet.
 */
export function storeWithLedger(ledger: Map<string, number> = new Map()): IngestOptions['store'] {
  return {
    completedShards: async () => ledger,
    recordShard: async () => undefined,
    describe: async () => undefined,
  };
}
