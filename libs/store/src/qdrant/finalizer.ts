// finalize(): undo the bulk-load settings (restore HNSW and indexing), wait until Qdrant has built the
// index (the collection is green), then record the collection as finalized.
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
    if (!this.#hasIndexingSettings(details)) await this.#restoreIndexingSettings(name, operation);
    const green = await this.#waitForGreen(name);
    await recordFinalized(this.#connection, name, green, true);
  }

  /** Whether the collection has the settings finalize restores already (finalize run before, or bulkLoad 'none'). */
  #hasIndexingSettings(details: CollectionDetails): boolean {
    const { hnsw_config: hnsw, optimizer_config: optimizer } = details.config;
    const { m, efConstruct, indexingThreshold } = this.#settings;
    return (
      hnsw.m === m && hnsw.ef_construct === efConstruct && optimizer.indexing_threshold === indexingThreshold
    );
  }

  #restoreIndexingSettings(name: string, operation: string): Promise<unknown> {
    const { m, efConstruct, indexingThreshold } = this.#settings;
    return this.#connection.call(
      `${operation}: restore indexing settings`,
      name,
      (c, q) =>
        c.updateCollection(q, {
          hnsw_config: { m, ef_construct: efConstruct },
          optimizers_config: { indexing_threshold: indexingThreshold },
          timeout: this.#connection.adminTimeoutS,
        }),
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
