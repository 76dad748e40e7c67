import { assertPrefixFits, type RedisClient } from './redis-connection.ts';
import { scanKeys } from './scan-keys.ts';

/** What `status` shows for one collection's ingest, readable from any machine with Redis access. */
export interface IngestSnapshot {
  readonly collection: string;
  readonly fingerprint: string;
  readonly corpus: string;
  /** The field whose value is embedded as a title with the text (ingest --title-field); undefined: the text alone. */
  readonly titleField?: string;
  /** Passages per shard the ingest began with (a re-run must cut the corpus the same way). */
  readonly shardSize?: number;
  readonly acceptedRecords: number;
  readonly rejectedRecords: number;
  readonly totalShards: number;
  /** Whether the producer has enqueued every shard (so totals are final). */
  readonly sealed: boolean;
  readonly doneShards: number;
  readonly doneRecords: number;
  /** Of doneRecords, those of shards the store had recorded before this manifest counted them (restoreDoneShards). */
  readonly restoredRecords: number;
  readonly startedAt: number;
  /** When the producer last said it was enqueuing (every few seconds until it seals the ingest). */
  readonly producerSeenAt?: number;
  readonly firstDoneAt?: number;
  readonly lastDoneAt?: number;
  readonly finalizedAt?: number;
  readonly storedCount?: number;
}

/**
 * Redis bookkeeping of one ingest: totals written by the producer, completions counted by workers.
 * Completions are counted through a set of shard keys, so a shard that completes twice (a retry
 * after a lost acknowledgement) still counts once.
 */
export class IngestManifest {
  /**
   * Keys are `<prefix>:ingest:<collection>[:done|:writes]`: with the queues' hash-tag prefix on a
   * cluster, one slot, so MULTI and the script below may touch several of them.
   */
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    assertPrefixFits(redis, prefix);
  }

  private key(collection: string): string {
    return `${this.prefix}:ingest:${collection}`;
  }

  private doneKey(collection: string): string {
    return `${this.key(collection)}:done`;
  }

  private writesKey(collection: string): string {
    return `${this.key(collection)}:writes`;
  }

  /**
   * Starts (or, for the same fingerprint, continues) an ingest; a new fingerprint resets it. The title field
   * and shard size are recorded with it (the producer refuses a re-run with others before it gets here).
   */
  async begin(
    collection: string,
    fingerprint: string,
    corpus: string,
    { titleField, shardSize }: { readonly titleField?: string; readonly shardSize?: number } = {},
  ): Promise<void> {
    const current = await this.redis.hget(this.key(collection), 'fingerprint');
    if (current === fingerprint) return;
    await this.redis
      .multi()
      .del(this.key(collection), this.doneKey(collection), this.writesKey(collection))
      .hset(this.key(collection), {
        fingerprint,
        corpus,
        startedAt: Date.now(),
        sealed: 0,
        ...(titleField === undefined ? {} : { titleField }),
        ...(shardSize === undefined ? {} : { shardSize }),
      })
      .exec();
  }

  async setTotals(
    collection: string,
    totals: { acceptedRecords: number; rejectedRecords: number; totalShards: number; sealed: boolean },
  ): Promise<void> {
    await this.redis.hset(this.key(collection), { ...totals, sealed: totals.sealed ? 1 : 0 });
  }

  /**
   * Whether this ingest's shards may be appended on their first write (see `claimFirstWrite`): decided
   * once per ingest, by `collectionIsEmpty` when the ingest begins, and kept for its re-runs, which
   * find the collection no longer empty. When Redis has lost the decision it is made again, and then
   * says no to a collection holding points: merging is always safe.
   */
  async appendFirstWrites(collection: string, collectionIsEmpty: () => Promise<boolean>): Promise<boolean> {
    const recorded = await this.redis.hget(this.key(collection), 'appendFirstWrites');
    if (recorded !== null) return recorded === '1';
    const empty = await collectionIsEmpty();
    await this.redis.hsetnx(this.key(collection), 'appendFirstWrites', empty ? 1 : 0);
    return (await this.redis.hget(this.key(collection), 'appendFirstWrites')) === '1';
  }

  /**
   * True exactly once per shard of an ingest, for whoever asks first: that worker may append the
   * shard's rows; any later writer (a retry, a second holder after a lost lock) must merge. Should
   * Redis lose the set, a shard can be claimed twice; the store's finalize removes the extra copies.
   */
  async claimFirstWrite(collection: string, shardKey: string): Promise<boolean> {
    return (await this.redis.sadd(this.writesKey(collection), shardKey)) === 1;
  }

  /** Counts a completed shard once, whatever number of times it is reported. */
  async markShardDone(collection: string, shardKey: string, records: number): Promise<void> {
    const now = Date.now();
    await this.redis.eval(
      `if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
         redis.call('HINCRBY', KEYS[1], 'doneRecords', ARGV[2])
         redis.call('HSETNX', KEYS[1], 'firstDoneAt', ARGV[3])
         redis.call('HSET', KEYS[1], 'lastDoneAt', ARGV[3])
       end
       return 1`,
      2,
      this.key(collection),
      this.doneKey(collection),
      shardKey,
      records,
      now,
    );
  }

  /**
   * Counts shards done that the store recorded but this manifest does not (Redis lost it, or it was never
   * written here), so progress counts them; their records are kept apart as `restoredRecords`, since they
   * were not embedded at this ingest's rate. Shards already counted are left as they are.
   */
  async restoreDoneShards(collection: string, shards: ReadonlyMap<string, number>): Promise<void> {
    if (shards.size === 0) return;
    await this.redis.eval(
      `local restored = 0
       for i = 1, #ARGV, 2 do
         if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then restored = restored + tonumber(ARGV[i + 1]) end
       end
       redis.call('HINCRBY', KEYS[1], 'doneRecords', restored)
       redis.call('HINCRBY', KEYS[1], 'restoredRecords', restored)
       return restored`,
      2,
      this.key(collection),
      this.doneKey(collection),
      ...[...shards].flatMap(([key, records]) => [key, records]),
    );
  }

  /**
   * The producer says it is still enqueuing, with its counts so far (status shows them, and tells a producer
   * that died from one held back by backpressure). The counts of an ingest already sealed (a re-run after a
   * failed finalize) are final: they are kept.
   */
  async markProducerAlive(
    collection: string,
    soFar: { acceptedRecords: number; rejectedRecords: number; totalShards: number },
  ): Promise<void> {
    await this.redis.eval(
      `redis.call('HSET', KEYS[1], 'producerSeenAt', ARGV[1])
       if redis.call('HGET', KEYS[1], 'sealed') ~= '1' then
         redis.call('HSET', KEYS[1], 'acceptedRecords', ARGV[2], 'rejectedRecords', ARGV[3], 'totalShards', ARGV[4])
       end
       return 1`,
      1,
      this.key(collection),
      Date.now(),
      soFar.acceptedRecords,
      soFar.rejectedRecords,
      soFar.totalShards,
    );
  }

  /** For each of `shardKeys`, whether it is counted as done. */
  async areShardsDone(collection: string, shardKeys: readonly string[]): Promise<boolean[]> {
    if (shardKeys.length === 0) return [];
    const found = await this.redis.smismember(this.doneKey(collection), ...shardKeys);
    return found.map((member) => member === 1);
  }

  /** Shards already counted as done (a producer re-run skips them). */
  async doneShardKeys(collection: string): Promise<Set<string>> {
    return new Set(await this.redis.smembers(this.doneKey(collection)));
  }

  async markFinalized(collection: string, storedCount: number): Promise<void> {
    await this.redis.hset(this.key(collection), { finalizedAt: Date.now(), storedCount });
  }

  async read(collection: string): Promise<IngestSnapshot | undefined> {
    const [fields, doneShards] = await Promise.all([
      this.redis.hgetall(this.key(collection)),
      this.redis.scard(this.doneKey(collection)),
    ]);
    if (fields.fingerprint === undefined) return undefined;
    const num = (name: string) => (fields[name] === undefined ? undefined : Number(fields[name]));
    return {
      collection,
      fingerprint: fields.fingerprint,
      corpus: fields.corpus ?? '',
      ...(fields.titleField === undefined ? {} : { titleField: fields.titleField }),
      ...(fields.shardSize === undefined ? {} : { shardSize: Number(fields.shardSize) }),
      acceptedRecords: num('acceptedRecords') ?? 0,
      rejectedRecords: num('rejectedRecords') ?? 0,
      totalShards: num('totalShards') ?? 0,
      sealed: fields.sealed === '1',
      doneShards,
      doneRecords: num('doneRecords') ?? 0,
      restoredRecords: num('restoredRecords') ?? 0,
      startedAt: num('startedAt') ?? 0,
      producerSeenAt: num('producerSeenAt'),
      firstDoneAt: num('firstDoneAt'),
      lastDoneAt: num('lastDoneAt'),
      finalizedAt: num('finalizedAt'),
      storedCount: num('storedCount'),
    };
  }

  /** Collections with an ingest recorded under this prefix. */
  async list(): Promise<string[]> {
    const head = `${this.prefix}:ingest:`;
    const keys = await scanKeys(this.redis, `${head}*`);
    return keys
      .filter((k) => !k.endsWith(':done') && !k.endsWith(':writes'))
      .map((k) => k.slice(head.length))
      .sort();
  }
}
