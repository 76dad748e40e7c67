import { randomUUID } from 'node:crypto';
import {
  ingestCorpus,
  readIngestStatus,
  startShardWorkers,
  type IngestOptions,
  type IngestSummary,
  type IngestStatus,
  type ShardWorkers,
  type ShardWorkersOptions,
} from '@embedline/pipeline';
import { createRedisConnection } from '@embedline/queue';
import { waitFor } from './processes.ts';

/** Log lines a worker wrote, by level, so a test can read what an operator would see. */
export class CapturedLog {
  readonly info: string[] = [];
  readonly warn: string[] = [];
  readonly error: string[] = [];

  readonly sink: ShardWorkersOptions['log'] = {
    info: (message) => void this.info.push(message),
    warn: (message) => void this.warn.push(message),
    error: (message) => void this.error.push(message),
  };
}

/**
 * The producer's and the workers' halves of the pipeline in this process, on a queue prefix of their
 * own on the test's private Redis: BullMQ, Redis, encoder and store are all real, only the process
 * boundary is left out (which the e2e suite covers).
 */
export class InProcessPipeline {
  readonly prefix = `inproc-${randomUUID().slice(0, 8)}`;
  readonly connection;
  readonly log = new CapturedLog();
  private workers?: ShardWorkers;
  private readonly workerConnection;

  constructor(redisUrl: string) {
    this.connection = createRedisConnection(redisUrl);
    this.workerConnection = createRedisConnection(redisUrl);
  }

  startWorkers(options: Omit<ShardWorkersOptions, 'connection' | 'prefix' | 'log'>): void {
    this.workers = startShardWorkers({
      ...options,
      connection: this.workerConnection,
      prefix: this.prefix,
      log: this.log.sink,
    });
  }

  /**
   * The producer's `ingestCorpus` on this pipeline's Redis and prefix, with the tests' small defaults: byte
   * ranges, 100 waiting jobs at most, jobs added 50 at a time.
   */
  ingest(
    options: Omit<IngestOptions, 'connection' | 'prefix' | 'inline' | 'highWaterMark' | 'addChunk'> &
      Partial<Pick<IngestOptions, 'inline' | 'highWaterMark' | 'addChunk'>>,
  ): Promise<IngestSummary> {
    return ingestCorpus({
      inline: false,
      highWaterMark: 100,
      addChunk: 50,
      ...options,
      connection: this.connection,
      prefix: this.prefix,
    });
  }

  status(collection: string): Promise<IngestStatus> {
    return readIngestStatus(this.connection, this.prefix, collection);
  }

  /** Waits until the collection's status satisfies `done`, and returns that status. */
  waitForStatus(
    collection: string,
    what: string,
    done: (status: IngestStatus) => boolean,
    timeoutMs = 180_000,
  ): Promise<IngestStatus> {
    return waitFor(
      `${collection}: ${what}`,
      async () => {
        const status = await this.status(collection);
        return done(status) ? status : undefined;
      },
      timeoutMs,
      100,
    );
  }

  async close(): Promise<void> {
    await this.workers?.close();
    await Promise.all([this.connection.quit(), this.workerConnection.quit()]);
  }
}
