// QdrantStore's options: the public option types, their defaults, and their validation, resolved once in
// the constructor so that every collaborator gets plain, checked values.
import { inRange, positiveInteger } from './integer-checks.ts';
import { DEFAULT_RETRY, type RetryOptions } from './retry.ts';

/** How ingest keeps Qdrant from building the HNSW graph while points stream in (undone by finalize). */
export type BulkLoadMode =
  /** `hnsw_config.m = 0`: segments are built and optimized, but no graph (Qdrant's recommendation; low RAM). */
  | 'defer-hnsw'
  /** `optimizers_config.indexing_threshold = 0`: no indexing at all; fastest upload, more RAM. */
  | 'disable-indexing'
  /** Index as data arrives (Qdrant's defaults). */
  | 'none';

/** Qdrant's write ordering of upserts (see QdrantStoreOptions.ordering). */
export type WriteOrdering = 'weak' | 'medium' | 'strong';

export interface QdrantStoreOptions {
  /**
   * REST endpoint, e.g. `http://127.0.0.1:6333` or `https://xyz.cloud.qdrant.io:6333`. A path is kept as a
   * prefix (`https://proxy/qdrant`). As in the official client, a URL without a port means port 6333.
   */
  readonly url: string;
  /**
   * Prepended to every collection name on the server (`docs` -> `<prefix>docs`); listCollections shows only
   * prefixed collections, without the prefix. Lets tests or tenants share a server. Default none.
   */
  readonly collectionPrefix?: string;
  /** Sent as the `api-key` header. Use https when it crosses an untrusted network. */
  readonly apiKey?: string;
  /** Client timeout per request for points and reads (ms). Default 60 000. Timeouts are not retried. */
  readonly timeoutMs?: number;
  /**
   * Client timeout for collection-level requests (create, update, delete) (ms), which Qdrant may hold until
   * running optimizations finish; also sent as the server-side `timeout`. Default 300 000.
   */
  readonly adminTimeoutMs?: number;
  /** Points per upsert request (1-1024). Default 128 (Qdrant recommends 64-256). */
  readonly batchSize?: number;
  /** Upsert requests in flight at once per `upsert` call (1-64). Default 4. */
  readonly concurrency?: number;
  /**
   * Write ordering of upserts. Default `medium`: writes for a shard go through a (dynamically chosen) leader,
   * so replicas apply two writes of the same point in one order; `weak` may reorder them across replicas.
   */
  readonly ordering?: WriteOrdering;
  /** Settings applied at collection creation for the bulk load. Default `defer-hnsw`. */
  readonly bulkLoad?: BulkLoadMode;
  /** HNSW settings finalize restores where the bulk load set `m` 0. Default `{ m: 16, efConstruct: 100 }` (Qdrant's). */
  readonly hnsw?: { readonly m?: number; readonly efConstruct?: number };
  /** `optimizers_config.indexing_threshold` (KB) finalize restores where it is 0. Default 20 000 (Qdrant's). */
  readonly indexingThreshold?: number;
  /** How long finalize waits for the collection to turn green (ms). Default 3 600 000. */
  readonly finalizeTimeoutMs?: number;
  /** First interval between finalize's status polls (ms); grows 1.5x up to 10 s. Default 1000. */
  readonly pollIntervalMs?: number;
  /** Retries of 408/429/502/503/504 and connection failures. */
  readonly retry?: RetryOptions;
  /** Keep-alive connections per client (the official client's `maxConnections`). Default 25. */
  readonly maxConnections?: number;
  /** Test seams: how to wait, and the jitter source. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** Qdrant's REST port, which the official client (and so the store) assumes for a URL without a port. */
const DEFAULT_PORT = 6333;

/** The options with their defaults filled in and every value checked. */
export interface ResolvedStoreOptions {
  readonly url: URL;
  /** The port to connect to: the URL's, as written (`:443` included), else 6333. */
  readonly port: number;
  /** Where requests go, for error messages: scheme, host, port and path prefix (no credentials, no query). */
  readonly endpoint: string;
  readonly apiKey: string | undefined;
  readonly maxConnections: number | undefined;
  readonly timeoutMs: number;
  readonly adminTimeoutMs: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly ordering: WriteOrdering;
  readonly bulkLoad: BulkLoadMode;
  readonly m: number;
  readonly efConstruct: number;
  readonly indexingThreshold: number;
  readonly finalizeTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly collectionPrefix: string;
  readonly retry: Required<RetryOptions>;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

/** Fills in the defaults; throws (TypeError for the url, RangeError otherwise) on the first bad value. */
export function resolveStoreOptions(options: QdrantStoreOptions): ResolvedStoreOptions {
  // The checks run in this order, so which error a config with several bad values gets stays stable.
  const url = parseUrl(options.url);
  if (url.username !== '' || url.password !== '')
    throw new TypeError(
      'QdrantStore url holds credentials (user:password@), which the store would not send: Qdrant takes its ' +
        'key in QDRANT_API_KEY (QdrantStore apiKey); the URL is not shown, to keep them out of logs',
    );
  checkNoQuery(url);
  if (options.apiKey !== undefined) checkApiKey(options.apiKey);
  const port = url.port !== '' ? Number(url.port) : (writtenPort(options.url) ?? DEFAULT_PORT);
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 60_000);
  const adminTimeoutMs = positiveInteger('adminTimeoutMs', options.adminTimeoutMs ?? 300_000);
  const batchSize = inRange('batchSize', options.batchSize ?? 128, 1, 1024);
  const concurrency = inRange('concurrency', options.concurrency ?? 4, 1, 64);
  const m = inRange('hnsw.m', options.hnsw?.m ?? 16, 1, 1024);
  const efConstruct = inRange('hnsw.efConstruct', options.hnsw?.efConstruct ?? 100, 4, 100_000);
  const indexingThreshold = inRange(
    'indexingThreshold',
    options.indexingThreshold ?? 20_000,
    1,
    Number.MAX_SAFE_INTEGER,
  );
  const finalizeTimeoutMs = positiveInteger('finalizeTimeoutMs', options.finalizeTimeoutMs ?? 3_600_000);
  const pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs ?? 1000);
  const collectionPrefix = options.collectionPrefix ?? '';
  if (!/^[A-Za-z0-9_.-]*$/.test(collectionPrefix))
    throw new RangeError(
      `QdrantStore collectionPrefix may hold letters, digits, "_", "-" and "." only: ${collectionPrefix}`,
    );
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  inRange('retry.maxAttempts', retry.maxAttempts, 1, 100);
  return {
    url,
    port,
    endpoint: `${url.protocol}//${url.hostname}:${port}${url.pathname.replace(/\/+$/, '')}`,
    apiKey: options.apiKey,
    maxConnections: options.maxConnections,
    timeoutMs,
    adminTimeoutMs,
    batchSize,
    concurrency,
    ordering: options.ordering ?? 'medium',
    bulkLoad: options.bulkLoad ?? 'defer-hnsw',
    m,
    efConstruct,
    indexingThreshold,
    finalizeTimeoutMs,
    pollIntervalMs,
    collectionPrefix,
    retry,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
  };
}

/**
 * The port written in `raw`'s authority, if any. WHATWG URL drops a scheme's default port (`https://h:443`
 * parses to port ''), and the official client fills an empty port with 6333: without this, a URL that says
 * `:443` or `:80` would be sent to port 6333.
 */
function writtenPort(raw: string): number | undefined {
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(raw.trim())?.[1];
  if (authority === undefined) return undefined;
  const match = /:(\d+)$/.exec(authority.slice(authority.lastIndexOf('@') + 1));
  return match === null ? undefined : Number(match[1]);
}

/** An http(s) URL, or a TypeError naming QDRANT_URL (Node's own says only "Invalid URL"). */
function parseUrl(raw: string): URL {
  const expected = 'expected http(s)://host[:port][/path], e.g. http://qdrant:6333';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`QdrantStore url (QDRANT_URL) is not a URL: ${shownUrl(raw)}; ${expected}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(
      `QdrantStore url (QDRANT_URL) must be http(s): ${shownUrl(raw)} (${url.protocol} is read as its scheme); ${expected}`,
    );
  return url;
}

/** The URL as given, for an error, unless it may carry a secret (user:password@, ?api-key=). */
function shownUrl(raw: string): string {
  return /[@?#]/.test(raw) ? '(not shown: it may hold a key)' : JSON.stringify(raw);
}

/**
 * The client keeps only scheme, host, port and path: a query (`?api-key=...`, `?timeout=...`) or fragment
 * would be dropped without a word, and the server would then answer 401 or use its default timeout.
 * Parameter names are shown, values never (one may be the key).
 */
function checkNoQuery(url: URL): void {
  if (url.search === '' && url.hash === '') return;
  const names = [...new Set(url.searchParams.keys())].join(', ');
  const what = url.search === '' ? 'a fragment (#...)' : `a query string (parameters: ${names || 'none'})`;
  throw new TypeError(
    `QdrantStore url (QDRANT_URL) holds ${what}, which the store would not send: give the API key in ` +
      'QDRANT_API_KEY (QdrantStore apiKey) and the request timeout in EMBEDLINE_QDRANT_TIMEOUT_MS ' +
      '(timeoutMs), and QDRANT_URL as scheme://host:port[/path] only; the URL is not shown, to keep a key out of logs',
  );
}

/**
 * A key an HTTP header can carry: no NUL or line break (leading and trailing whitespace is trimmed by
 * fetch), nothing beyond Latin-1. Otherwise the client's `Headers` throws: for a line break, a TypeError that
 * quotes the whole key, which would end up in logs. This error says where the bad character is instead.
 */
function checkApiKey(apiKey: string): void {
  const trimmed = apiKey.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  const bad = /[\0\n\r]|[^\0-\u00ff]/.exec(trimmed);
  if (bad === null) return;
  const code = bad[0].codePointAt(0)!;
  const what =
    code === 0x0a || code === 0x0d
      ? 'a line break'
      : `the character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  throw new TypeError(
    `QdrantStore apiKey (QDRANT_API_KEY) holds ${what} at position ${bad.index + 1} of ${trimmed.length}, ` +
      'which an HTTP header cannot carry (a secret file of two lines, or a character pasted from a ' +
      'document?); the key is not shown',
  );
}
