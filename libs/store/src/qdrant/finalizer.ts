// finalize(): undo the bulk-load settings (restore HNSW and indexing), wait until Qdrant has built the
// index (the collection is green), then record the collection as finalized.
import type { Schemas } from '@qdrant/js-client-rest';
import { recordFinalized } from './finalized-flag.ts';
import type { CollectionDetails, QdrantConnection } from './qdrant-connection.ts';
import { QdrantFinalizeTimeoutError, QdrantRequestError } from './qdrant-errors.ts';
import type { ResolvedStoreOptions } from './store-options.ts';

const MAX_POLL_INTERVAL_MS = 10_000;
/** How often finalize nudges a "grey" collection (optimizations pending, not triggered). */
const GREY_TRIGGER_INTERVAL_MS = 5_000;

/** The indexing settings finalize restores, and how long and how often it polls (see QdrantStoreOptions). */
export type FinalizeSettings = Pick<
  ResolvedStoreOptions,
  'm' | 'efConstruct' | 'indexingThreshold' | 'finalizeTimeoutMs' | 'pollIntervalMs' | 'sleep'
>;

export class Finalizer {
  readonly #connection: QdrantConnection;
  readonly #settings: FinalizeSettings;

  constructor(connection: QdrantConnection, settings: FinalizeSettings) {
    this.#connection = connection;
    this.#settings = settings;
  }

  async finalize(name: string): Promise<void> {
    const operation = `finalize "${name}"`;
    const details = await this.#connection.requireDetails(name, operation);
    const restore = this.#bulkLoadUndone(details);
    if (restore !== undefined) await this.#restoreIndexingSettings(name, operation, restore);
    const green = await this.#waitForGreen(name);
    await recordFinalized(this.#connection, name, green, true);
  }

  /**
   * The update that undoes what the bulk load turned off, or undefined when nothing is off (finalize ran
   * before, or bulkLoad 'none'): HNSW with `m` 0 gets the configured `m` and `ef_construct`, indexing with
   * `indexing_threshold` 0 the configured threshold. Settings that are on are left as they are: an HNSW an
   * operator tuned (m 32, say) is not rebuilt with the defaults by the next finalize.
   */
  #bulkLoadUndone(details: CollectionDetails): Schemas['UpdateCollection'] | undefined {
    const { hnsw_config: hnsw, optimizer_config: optimizer } = details.config;
    const { m, efConstruct, indexingThreshold } = this.#settings;
    const update: Schemas['UpdateCollection'] = {
      ...(hnsw.m === 0 ? { hnsw_config: { m, ef_construct: efConstruct } } : {}),
      ...(optimizer.indexing_threshold === 0
        ? { optimizers_config: { indexing_threshold: indexingThreshold } }
        : {}),
    };
    return Object.keys(update).length === 0 ? undefined : update;
  }

  #restoreIndexingSettings(
    name: string,
    operation: string,
    update: Schemas['UpdateCollection'],
  ): Promise<unknown> {
    return this.#connection.call(
      `${operation}: restore indexing settings`,
      name,
      (c, q) => c.updateCollection(q, { ...update, timeout: this.#connection.adminTimeoutS }),
      true,
    );
  }

  /**
   * Polls until the collection is green on two polls in a row (right after an update Qdrant may still
   * report green before the optimizer picks the change up). Grey means optimizations are pending but not
   * triggered: an empty optimizers update triggers them. Red fails at once.
   */
  async #waitForGreen(name: string): Promise<CollectionDetails> {
    const { finalizeTimeoutMs, sleep } = this.#settings;
    const started = Date.now();
    let interval = this.#settings.pollIntervalMs;
    let greens = 0;
    let lastNudge = 0;
    for (;;) {
      const details = await this.#connection.requireDetails(name, `finalize "${name}": poll status`);
      if (details.status === 'red') throw redCollectionError(name, details);
      if (details.status === 'green') {
        if (++greens >= 2) return details;
      } else {
        greens = 0;
        if (details.status === 'grey' && Date.now() - lastNudge >= GREY_TRIGGER_INTERVAL_MS) {
          lastNudge = Date.now();
          await this.#triggerOptimizers(name);
        }
      }
      const waited = Date.now() - started;
      if (waited >= finalizeTimeoutMs) throw new QdrantFinalizeTimeoutError(name, waited, details.status);
      await sleep(Math.min(interval, finalizeTimeoutMs - waited));
      interval = Math.min(interval * 1.5, MAX_POLL_INTERVAL_MS);
    }
  }

  #triggerOptimizers(name: string): Promise<unknown> {
    return this.#connection.call(
      `finalize "${name}": trigger optimizers`,
      name,
      (c, q) => c.updateCollection(q, { optimizers_config: {} }),
      true,
    );
  }
}

function redCollectionError(name: string, details: CollectionDetails): QdrantRequestError {
  const reason =
    typeof details.optimizer_status === 'object'
      ? details.optimizer_status.error
      : 'optimizers report a failure';
  return new QdrantRequestError(`finalize "${name}"`, undefined, `the collection is red: ${reason}`);
}
