// The store's one channel to Qdrant: the two REST clients, retries, the collection-name prefix, the
// closed flag, and the (lazily probed) server features. Every collaborator sends its requests through it.
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { CollectionNotFoundError } from '../errors/collection-not-found-error.ts';
import { QdrantRequestError } from './qdrant-errors.ts';
import { answeredByQdrant, withRetry, type RetryContext } from './retry.ts';
import { featuresOf, featuresWithoutVersion, type ServerFeatures } from './server-features.ts';
import type { ResolvedStoreOptions } from './store-options.ts';

export type CollectionDetails = Schemas['CollectionInfo'];

/**
 * The official client's constructor parameters for the store's options, less the timeout. The client keeps
 * only host and port of `url` (a path needs `prefix`), replaces a missing port with 6333 (also that of
 * `https://h:443`, which WHATWG URL drops: hence an explicit `port`), and checks the server version with a
 * fire-and-forget request unless told not to: we check it ourselves, lazily (see serverFeatures). The API
 * key goes as a header rather than `apiKey`, which would print "Api key is used with unsecure connection."
 * on every client built for an http URL.
 */
export function clientParams(options: ResolvedStoreOptions) {
  const pathPrefix = options.url.pathname.replace(/\/+$/, '');
  return {
    url: options.url.origin,
    port: options.port,
    ...(pathPrefix.length > 0 ? { prefix: pathPrefix } : {}),
    checkCompatibility: false,
    headers: options.apiKey === undefined ? {} : { 'api-key': options.apiKey },
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
  };
}

export class QdrantConnection {
  /** For points and reads (`timeoutMs`). */
  readonly #client: QdrantClient;
  /** For collection-level requests, which Qdrant may hold until optimizations finish (`adminTimeoutMs`). */
  readonly #admin: QdrantClient;
  readonly #retry: RetryContext;
  readonly #adminRetry: RetryContext;
  /** Prepended to every collection name on the server. */
  readonly prefix: string;
  /** Sent as the server-side `timeout` (s) of collection-level requests, matching the admin client's. */
  readonly adminTimeoutS: number;
  readonly #endpoint: string;
  #features: Promise<ServerFeatures> | undefined;
  #closed = false;

  constructor(options: ResolvedStoreOptions) {
    const { timeoutMs, adminTimeoutMs, retry, sleep, random } = options;
    this.prefix = options.collectionPrefix;
    this.#endpoint = options.endpoint;
    this.adminTimeoutS = Math.max(1, Math.ceil(adminTimeoutMs / 1000));
    // Every error names the server (never the key), and a 401 says whether a key was sent at all.
    const named = {
      endpoint: options.endpoint,
      apiKeySent: options.apiKey !== undefined && options.apiKey !== '',
    };
    this.#retry = { options: retry, timeoutMs, sleep, random, ...named };
    this.#adminRetry = { options: retry, timeoutMs: adminTimeoutMs, sleep, random, ...named };

    const params = clientParams(options);
    this.#client = new QdrantClient({ ...params, timeout: timeoutMs });
    this.#admin = new QdrantClient({ ...params, timeout: adminTimeoutMs });
  }

  close(): void {
    // The official client exposes no way to close its undici Agent; idle keep-alive sockets close on their
    // own (10 s keep-alive) and do not hold the process open.
    this.#closed = true;
  }

  checkOpen(): void {
    if (this.#closed) throw new Error('QdrantStore is closed');
  }

  /**
   * One client call with retries; `run` gets the collection's name on the server (with the prefix). Qdrant's
   * 404 on a collection's endpoint becomes CollectionNotFoundError naming the collection as the caller knows
   * it; a 404 that is not Qdrant's (no Qdrant error body) is a QdrantRequestError about the URL's path.
   */
  call<T>(
    operation: string,
    collection: string | undefined,
    run: (client: QdrantClient, serverName: string) => Promise<T>,
    admin = false,
  ): Promise<T> {
    this.checkOpen();
    const serverName = collection === undefined ? '' : this.prefix + collection;
    return withRetry(
      operation,
      admin ? this.#adminRetry : this.#retry,
      () => run(admin ? this.#admin : this.#client, serverName),
      (failure, error) => {
        if (failure.kind !== 'http' || failure.status !== 404) return undefined;
        if (!answeredByQdrant(error)) {
          // A proxy or another server (wrong path prefix, ingress without the route): no collection is
          // missing, the address is wrong.
          return new QdrantRequestError(
            operation,
            404,
            `${failure.detail} (not Qdrant's answer: is the path of QDRANT_URL right? A path is kept as a ` +
              'prefix of every request, e.g. http://proxy/qdrant -> http://proxy/qdrant/collections)',
            { cause: error, endpoint: this.#endpoint },
          );
        }
        return collection === undefined
          ? undefined
          : new CollectionNotFoundError(collection, { cause: error });
      },
    );
  }

  /** The collection's info, or undefined when it does not exist. */
  async details(name: string): Promise<CollectionDetails | undefined> {
    try {
      return await this.requireDetails(name, `get collection "${name}"`);
    } catch (error) {
      if (error instanceof CollectionNotFoundError) return undefined;
      throw error;
    }
  }

  /** The collection's info; CollectionNotFoundError when it does not exist. */
  requireDetails(name: string, operation: string): Promise<CollectionDetails> {
    return this.call(operation, name, (c, q) => c.getCollection(q));
  }

  /** Probed once per store; a failed probe is not remembered, so the next call asks again. */
  serverFeatures(): Promise<ServerFeatures> {
    this.#features ??= this.call('read the server version', undefined, (c) => c.versionInfo()).then(
      (info) => featuresOf(info.version),
      (error: unknown) => {
        this.#features = undefined;
        return featuresWithoutVersion(error);
      },
    );
    return this.#features;
  }
}
