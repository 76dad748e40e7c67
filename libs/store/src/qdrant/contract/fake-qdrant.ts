import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenApiContract, type OperationMatch } from './openapi-contract.ts';

/**
 * A loopback stand-in for a Qdrant server, for contract tests of the Qdrant store with the real
 * `@qdrant/js-client-rest`:
 *
 * - every request is matched to an operation of Qdrant's OpenAPI document and its parameters and JSON
 *   body are validated (see OpenApiContract); an unknown endpoint, a bad parameter or body, or a field the
 *   fake does not model is answered 400/404/405 (or 501) AND recorded in `violations`;
 * - the endpoints the adapter uses are implemented in memory with Qdrant's semantics (one unnamed dense
 *   vector, `Dot` distance, float32 scores, points ordered by id, merged collection metadata, ...), and
 *   payload-only collections (`vectors: {}`, points with `vector: {}`) such as the shard ledger;
 * - every answer is validated against the document's response schema before it is sent: a wrong fake
 *   fails loudly (recorded, and answered 500) instead of teaching the adapter a wrong API;
 * - faults can be injected: an HTTP status (429 with Retry-After, 503, ...) or a delay, for the next N
 *   matching requests; requests, in-flight peaks and payloads are recorded for assertions.
 *
 * Qdrant does not promise any order among equal scores; by default the fake returns them in reverse
 * write order (not point-id order), so that the adapter's own tie-breaking is what the tests see.
 */
export interface FakeQdrantOptions {
  /** Require this `api-key` header (401 when missing, 403 when wrong). */
  readonly apiKey?: string;
  /** Version reported by `GET /`. Below 1.16 collection `metadata` is refused, as such servers do. Default 1.19.0. */
  readonly version?: string;
  /** After a change of indexing settings, how many `GET /collections/{name}` report yellow. Default 2. */
  readonly optimizationPolls?: number;
  /** Added to every request (ms), so that concurrency shows. Default 0. */
  readonly latencyMs?: number;
  readonly tieOrder?: 'reverse-insertion' | 'insertion';
}

export interface Fault {
  /** Only requests for this operationId (e.g. `upsert_points`); default any. */
  readonly operationId?: string;
  /** How many matching requests it applies to. Default 1. */
  readonly times?: number;
  /** Answer this status (with an ErrorResponse body) instead of executing the request. */
  readonly status?: number;
  /** Retry-After header sent with `status`. */
  readonly retryAfter?: string;
  /** Wait this long (ms) before handling the request. */
  readonly delayMs?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly operationId: string | undefined;
  readonly query: Record<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
  status: number;
}

export interface CollectionSnapshot {
  /** Dimension of the unnamed dense vector; 0 for a payload-only collection (created with `vectors: {}`). */
  readonly size: number;
  readonly onDisk: boolean | undefined;
  readonly shardNumber: number;
  readonly replicationFactor: number;
  readonly hnsw: HnswConfig;
  readonly optimizer: OptimizerConfig;
  readonly metadata: Record<string, unknown> | undefined;
  readonly status: CollectionStatus;
  readonly pointCount: number;
  readonly payloadIndexes: Record<string, string>;
}

type CollectionStatus = 'green' | 'yellow' | 'grey' | 'red';
type PointId = number | string;

interface HnswConfig {
  m: number;
  ef_construct: number;
  full_scan_threshold: number;
  max_indexing_threads: number;
  on_disk: boolean;
}

interface OptimizerConfig {
  deleted_threshold: number;
  vacuum_min_vector_number: number;
  default_segment_number: number;
  max_segment_size: number | null;
  indexing_threshold: number;
  flush_interval_sec: number;
  max_optimization_threads: number | null;
}

interface StoredPoint {
  readonly id: PointId;
  readonly vector: Float32Array;
  readonly payload: Record<string, unknown>;
  readonly version: number;
  readonly sequence: number;
}

interface Collection {
  /** 0: payload-only (no vectors configured). */
  readonly size: number;
  readonly onDisk: boolean | undefined;
  params: { shard_number: number; replication_factor: number; write_consistency_factor: number };
  hnsw: HnswConfig;
  optimizer: OptimizerConfig;
  metadata: Record<string, unknown> | undefined;
  readonly points: Map<string, StoredPoint>;
  readonly payloadIndexes: Map<string, string>;
  status: CollectionStatus;
  yellowPolls: number;
  operations: number;
  sequence: number;
}

/** An answer: a result for the `{ result, status, time }` envelope, or an error. */
type Outcome =
  | { readonly status: 200; readonly result: unknown; readonly raw?: boolean }
  | { readonly status: number; readonly error: string; readonly violation?: boolean };

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Whether the request itself broke the contract (vs. a legitimate error answer such as 404). */
    readonly violation = false,
  ) {
    super(message);
  }
}

const DEFAULT_HNSW: HnswConfig = {
  m: 16,
  ef_construct: 100,
  full_scan_threshold: 10_000,
  max_indexing_threads: 0,
  on_disk: false,
};
const DEFAULT_OPTIMIZER: OptimizerConfig = {
  deleted_threshold: 0.2,
  vacuum_min_vector_number: 1000,
  default_segment_number: 0,
  max_segment_size: null,
  indexing_threshold: 20_000,
  flush_interval_sec: 5,
  max_optimization_threads: null,
};

let sharedContract: OpenApiContract | undefined;

export class FakeQdrant {
  readonly url: string;
  readonly requests: RecordedRequest[] = [];
  /** Contract violations by the client (and by the fake's own answers); tests assert this stays empty. */
  readonly violations: string[] = [];
  readonly #server: Server;
  readonly #contract: OpenApiContract;
  readonly #options: Required<Omit<FakeQdrantOptions, 'apiKey'>> & { apiKey: string | undefined };
  readonly #collections = new Map<string, Collection>();
  readonly #faults: { fault: Fault; left: number }[] = [];
  readonly #timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  readonly #inFlight = new Map<string, number>();
  readonly #peak = new Map<string, number>();

  private constructor(server: Server, url: string, contract: OpenApiContract, options: FakeQdrantOptions) {
    this.#server = server;
    this.url = url;
    this.#contract = contract;
    this.#options = {
      apiKey: options.apiKey,
      version: options.version ?? '1.19.0',
      optimizationPolls: options.optimizationPolls ?? 2,
      latencyMs: options.latencyMs ?? 0,
      tieOrder: options.tieOrder ?? 'reverse-insertion',
    };
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      void this.#handle(request, response);
    });
  }

  static async start(options: FakeQdrantOptions = {}): Promise<FakeQdrant> {
    sharedContract ??= OpenApiContract.load();
    const server = createServer({ keepAliveTimeout: 1000 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new FakeQdrant(server, `http://127.0.0.1:${port}`, sharedContract, options);
  }

  /** Injects a fault for the next `times` matching requests (faults apply in the order given). */
  inject(fault: Fault): void {
    this.#faults.push({ fault, left: fault.times ?? 1 });
  }

  /** Requests for one operation, e.g. `upsert_points`. */
  requestsFor(operationId: string): RecordedRequest[] {
    return this.requests.filter((r) => r.operationId === operationId);
  }

  /** The most requests in flight at once, for one operation or over all. */
  maxInFlight(operationId = '*'): number {
    return this.#peak.get(operationId) ?? 0;
  }

  collection(name: string): CollectionSnapshot | undefined {
    const c = this.#collections.get(name);
    if (c === undefined) return undefined;
    return {
      size: c.size,
      onDisk: c.onDisk,
      shardNumber: c.params.shard_number,
      replicationFactor: c.params.replication_factor,
      hnsw: { ...c.hnsw },
      optimizer: { ...c.optimizer },
      metadata: c.metadata === undefined ? undefined : structuredClone(c.metadata),
      status: c.status,
      pointCount: c.points.size,
      payloadIndexes: Object.fromEntries(c.payloadIndexes),
    };
  }

  /** Forces a collection's status, e.g. `red`, or `grey` until an update triggers the optimizers. */
  setStatus(name: string, status: CollectionStatus): void {
    const c = this.#collections.get(name);
    if (c === undefined) throw new Error(`fake has no collection "${name}"`);
    c.status = status;
    c.yellowPolls = 0;
  }

  async close(): Promise<void> {
    for (const pending of this.#timers) {
      clearTimeout(pending.timer);
      pending.resolve();
    }
    this.#timers.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    const found = this.#contract.match(method, url.pathname);
    const match = 'match' in found ? found.match : undefined;
    const operationId = match?.operation.operationId;
    const recorded: RecordedRequest = {
      method,
      url: request.url ?? '/',
      path: url.pathname,
      operationId,
      query: Object.fromEntries(url.searchParams),
      headers: request.headers,
      body: raw.length === 0 ? undefined : safeJson(raw),
      status: 0,
    };
    this.requests.push(recorded);
    this.#enter(operationId ?? 'unknown');
    try {
      const outcome = await this.#outcome(request, found, match, url, raw);
      recorded.status = outcome.status;
      if (response.destroyed) return;
      this.#send(response, match, outcome);
    } finally {
      this.#leave(operationId ?? 'unknown');
    }
  }

  async #outcome(
    request: IncomingMessage,
    found: ReturnType<OpenApiContract['match']>,
    match: OperationMatch | undefined,
    url: URL,
    raw: string,
  ): Promise<Outcome & { retryAfter?: string }> {
    if (match === undefined) {
      const { error, status } = found as { error: string; status: number };
      this.violations.push(error);
      return { status, error, violation: true };
    }
    const key = this.#options.apiKey;
    if (key !== undefined) {
      const given = request.headers['api-key'];
      if (given === undefined)
        return { status: 401, error: 'Must provide an API key or an Authorization bearer token' };
      if (given !== key) return { status: 403, error: 'Invalid API key or JWT' };
    }
    const { violations, body } = this.#contract.validateRequest(
      match,
      url.searchParams,
      request.headers['content-type'],
      raw,
    );
    if (violations.length > 0) {
      this.violations.push(...violations);
      return { status: 400, error: `Validation error: ${violations.join('; ')}`, violation: true };
    }
    const operationId = match.operation.operationId;
    const fault = this.#takeFault(operationId);
    if (fault?.delayMs !== undefined) await this.#sleep(fault.delayMs);
    if (fault?.status !== undefined) {
      return {
        status: fault.status,
        error:
          fault.status === 429
            ? 'Too many requests: rate limit exceeded'
            : 'Service unavailable: injected fault',
        ...(fault.retryAfter === undefined ? {} : { retryAfter: fault.retryAfter }),
      };
    }
    if (this.#options.latencyMs > 0) await this.#sleep(this.#options.latencyMs);
    try {
      return { status: 200, ...this.#execute(operationId, match.pathParams, url.searchParams, body) };
    } catch (error) {
      if (!(error instanceof HttpFailure)) throw error;
      if (error.violation)
        this.violations.push(`${match.method} ${match.template} (${operationId}): ${error.message}`);
      return { status: error.status, error: error.message, violation: error.violation };
    }
  }

  #send(
    response: ServerResponse,
    match: OperationMatch | undefined,
    outcome: Outcome & { retryAfter?: string },
  ): void {
    const time = 0.000_125;
    let status = outcome.status;
    let body: unknown =
      'result' in outcome
        ? outcome.raw === true
          ? outcome.result
          : { result: outcome.result, status: 'ok', time }
        : { status: { error: outcome.error }, time };
    if (match !== undefined) {
      const problems = this.#contract.validateResponse(match, status, body);
      if (problems.length > 0) {
        this.violations.push(...problems.map((p) => `the FAKE's answer broke the contract: ${p}`));
        status = 500;
        body = { status: { error: `fake produced an invalid response: ${problems.join('; ')}` }, time };
      }
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (outcome.retryAfter !== undefined) headers['retry-after'] = outcome.retryAfter;
    response.writeHead(status, headers);
    response.end(JSON.stringify(body));
  }

  #execute(
    operationId: string,
    path: Record<string, string>,
    query: URLSearchParams,
    body: unknown,
  ): { result: unknown; raw?: boolean } {
    const name = path['collection_name'] ?? '';
    const input = (body ?? {}) as Record<string, unknown>;
    switch (operationId) {
      case 'root':
        return {
          result: { title: 'qdrant - vector search engine', version: this.#options.version, commit: null },
          raw: true,
        };
      case 'get_collections':
        return { result: { collections: [...this.#collections.keys()].map((n) => ({ name: n })) } };
      case 'collection_exists':
        return { result: { exists: this.#collections.has(name) } };
      case 'get_collection':
        return { result: this.#info(this.#require(name)) };
      case 'create_collection':
        this.#create(name, input);
        return { result: true };
      case 'update_collection':
        this.#update(this.#require(name), input);
        return { result: true };
      case 'delete_collection':
        return { result: this.#collections.delete(name) };
      case 'create_field_index':
        return { result: this.#createIndex(this.#require(name), input, query) };
      case 'upsert_points':
        return { result: this.#upsert(this.#require(name), input, query) };
      case 'count_points':
        only(input, ['exact', 'filter'], 'count');
        unsupportedIfSet(input, 'filter');
        return { result: { count: this.#require(name).points.size } };
      case 'query_points':
        return { result: this.#query(this.#require(name), input) };
      case 'scroll_points':
        return { result: this.#scroll(this.#require(name), input) };
      case 'get_points':
        return { result: this.#retrieve(this.#require(name), input) };
      case 'delete_points':
        return { result: this.#deletePoints(this.#require(name), input, query) };
      default:
        throw new HttpFailure(501, `the fake does not implement ${operationId}`, true);
    }
  }

  #require(name: string): Collection {
    const c = this.#collections.get(name);
    if (c === undefined) throw new HttpFailure(404, `Not found: Collection \`${name}\` doesn't exist!`);
    return c;
  }

  #supportsMetadata(): boolean {
    const [major = 0, minor = 0] = this.#options.version.split('.').map(Number);
    return major > 1 || (major === 1 && minor >= 16);
  }

  #create(name: string, input: Record<string, unknown>): void {
    only(
      input,
      [
        'vectors',
        'shard_number',
        'replication_factor',
        'write_consistency_factor',
        'hnsw_config',
        'optimizers_config',
        'metadata',
        'on_disk_payload',
      ],
      'create',
    );
    if (input['metadata'] !== undefined && !this.#supportsMetadata()) {
      throw new HttpFailure(
        400,
        `Format error in JSON body: unknown field \`metadata\` (server ${this.#options.version})`,
        true,
      );
    }
    if (this.#collections.has(name))
      throw new HttpFailure(409, `Wrong input: Collection \`${name}\` already exists!`);
    const vectors = input['vectors'] as Record<string, unknown> | undefined;
    // `vectors: {}` is an empty map of named vectors: a payload-only collection (Qdrant's own answer for
    // "a collection without vectors"; its points are written with `vector: {}`).
    const payloadOnly = vectors !== undefined && Object.keys(vectors).length === 0;
    if (!payloadOnly && (vectors === undefined || typeof vectors['size'] !== 'number')) {
      throw new HttpFailure(
        501,
        'the fake models one unnamed dense vector (vectors: { size, distance })',
        true,
      );
    }
    only(vectors, ['size', 'distance', 'on_disk'], 'vectors');
    if (!payloadOnly && vectors['distance'] !== 'Dot')
      throw new HttpFailure(
        501,
        `the fake models Dot distance only, got ${String(vectors['distance'])}`,
        true,
      );
    const hnsw = (input['hnsw_config'] ?? {}) as Partial<HnswConfig>;
    const optimizer = (input['optimizers_config'] ?? {}) as Partial<OptimizerConfig>;
    only(hnsw, Object.keys(DEFAULT_HNSW), 'hnsw_config');
    only(optimizer, Object.keys(DEFAULT_OPTIMIZER), 'optimizers_config');
    this.#collections.set(name, {
      size: payloadOnly ? 0 : (vectors['size'] as number),
      onDisk: vectors['on_disk'] as boolean | undefined,
      params: {
        shard_number: (input['shard_number'] as number | undefined) ?? 1,
        replication_factor: (input['replication_factor'] as number | undefined) ?? 1,
        write_consistency_factor: (input['write_consistency_factor'] as number | undefined) ?? 1,
      },
      hnsw: { ...DEFAULT_HNSW, ...withoutNulls(hnsw) },
      optimizer: { ...DEFAULT_OPTIMIZER, ...withoutNulls(optimizer) },
      metadata:
        input['metadata'] === undefined || input['metadata'] === null
          ? undefined
          : structuredClone(input['metadata'] as Record<string, unknown>),
      points: new Map(),
      payloadIndexes: new Map(),
      status: 'green',
      yellowPolls: 0,
      operations: 0,
      sequence: 0,
    });
  }

  #update(c: Collection, input: Record<string, unknown>): void {
    only(input, ['hnsw_config', 'optimizers_config', 'params', 'metadata'], 'update');
    if (input['metadata'] !== undefined && !this.#supportsMetadata()) {
      throw new HttpFailure(
        400,
        `Format error in JSON body: unknown field \`metadata\` (server ${this.#options.version})`,
        true,
      );
    }
    let reoptimize = false;
    const hnsw = input['hnsw_config'] as Partial<HnswConfig> | null | undefined;
    if (hnsw !== undefined && hnsw !== null) {
      only(hnsw, Object.keys(DEFAULT_HNSW), 'hnsw_config');
      c.hnsw = { ...c.hnsw, ...withoutNulls(hnsw) };
      reoptimize = true;
    }
    const optimizer = input['optimizers_config'] as Partial<OptimizerConfig> | null | undefined;
    if (optimizer !== undefined && optimizer !== null) {
      only(optimizer, Object.keys(DEFAULT_OPTIMIZER), 'optimizers_config');
      c.optimizer = { ...c.optimizer, ...withoutNulls(optimizer) };
      reoptimize = true; // even `{}`: the documented way to trigger a grey collection's optimizers
    }
    const params = input['params'] as Record<string, unknown> | null | undefined;
    if (params !== undefined && params !== null) {
      only(params, ['replication_factor', 'write_consistency_factor'], 'params');
      Object.assign(c.params, withoutNulls(params));
    }
    const metadata = input['metadata'] as Record<string, unknown> | null | undefined;
    if (metadata !== undefined && metadata !== null) {
      // Merged into what is stored; a key set to null is removed.
      const merged = { ...c.metadata };
      for (const [key, value] of Object.entries(metadata)) {
        if (value === null) delete merged[key];
        else merged[key] = structuredClone(value);
      }
      c.metadata = merged;
    }
    if (reoptimize && c.status !== 'red') {
      c.status = this.#options.optimizationPolls > 0 ? 'yellow' : 'green';
      c.yellowPolls = this.#options.optimizationPolls;
    }
  }

  #info(c: Collection): unknown {
    if (c.status === 'yellow') {
      if (c.yellowPolls > 0) c.yellowPolls--;
      else c.status = 'green';
    }
    const indexed =
      c.status === 'green' && c.hnsw.m > 0 && c.optimizer.indexing_threshold > 0 ? c.points.size : 0;
    const payloadSchema: Record<string, unknown> = {};
    for (const [field, type] of c.payloadIndexes) {
      payloadSchema[field] = {
        data_type: type,
        points: [...c.points.values()].filter((p) => p.payload[field] !== undefined).length,
      };
    }
    return {
      status: c.status,
      optimizer_status: c.status === 'red' ? { error: 'injected optimizer failure' } : 'ok',
      indexed_vectors_count: indexed,
      points_count: c.points.size,
      segments_count: c.params.shard_number * 2,
      config: {
        params: {
          vectors:
            c.size === 0
              ? {}
              : {
                  size: c.size,
                  distance: 'Dot',
                  ...(c.onDisk === undefined ? {} : { on_disk: c.onDisk }),
                },
          shard_number: c.params.shard_number,
          replication_factor: c.params.replication_factor,
          write_consistency_factor: c.params.write_consistency_factor,
          on_disk_payload: true,
        },
        hnsw_config: c.hnsw,
        optimizer_config: c.optimizer,
        wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
        quantization_config: null,
        ...(this.#supportsMetadata() ? { metadata: c.metadata ?? {} } : {}),
      },
      payload_schema: payloadSchema,
      update_queue: { length: 0 },
    };
  }

  #createIndex(c: Collection, input: Record<string, unknown>, query: URLSearchParams): unknown {
    only(input, ['field_name', 'field_schema'], 'create_field_index');
    const schema = input['field_schema'];
    const type =
      typeof schema === 'string'
        ? schema
        : typeof schema === 'object' && schema !== null
          ? (schema as { type?: string }).type
          : undefined;
    if (type === undefined) throw new HttpFailure(501, 'the fake needs field_schema to infer nothing', true);
    c.payloadIndexes.set(input['field_name'] as string, type);
    return this.#updateResult(c, query);
  }

  #upsert(c: Collection, input: Record<string, unknown>, query: URLSearchParams): unknown {
    let incoming: { id: unknown; vector: unknown; payload: unknown }[];
    if (Array.isArray(input['points'])) {
      only(input, ['points'], 'upsert');
      incoming = input['points'] as { id: unknown; vector: unknown; payload: unknown }[];
    } else {
      only(input, ['batch'], 'upsert');
      const batch = input['batch'] as { ids: unknown[]; vectors: unknown; payloads?: unknown[] | null };
      if (!Array.isArray(batch.vectors))
        throw new HttpFailure(501, 'the fake models unnamed dense vectors only', true);
      const vectors = batch.vectors as unknown[];
      incoming = batch.ids.map((id, i) => ({ id, vector: vectors[i], payload: batch.payloads?.[i] ?? null }));
    }
    const prepared = incoming.map((point) => {
      if (c.size === 0) return this.#payloadOnlyPoint(point);
      if (!Array.isArray(point.vector) || point.vector.some((x) => typeof x !== 'number')) {
        throw new HttpFailure(501, 'the fake models one unnamed dense vector per point', true);
      }
      if (point.vector.length !== c.size) {
        throw new HttpFailure(
          400,
          `Wrong input: Vector dimension error: expected dim: ${c.size}, got ${point.vector.length}`,
        );
      }
      return {
        id: point.id as PointId,
        vector: Float32Array.from(point.vector as number[]),
        payload: (point.payload ?? {}) as Record<string, unknown>,
      };
    });
    const version = ++c.operations;
    for (const point of prepared) {
      const key = pointKey(point.id);
      c.points.set(key, {
        id: canonicalId(point.id),
        vector: point.vector,
        payload: structuredClone(point.payload),
        version,
        sequence: ++c.sequence,
      });
    }
    return this.#updateResult(c, query, version);
  }

  /** A point of a payload-only collection: `vector: {}`, as Qdrant requires there (no vector name exists). */
  #payloadOnlyPoint(point: { id: unknown; vector: unknown; payload: unknown }) {
    const vector = point.vector;
    const empty =
      typeof vector === 'object' && vector !== null && !Array.isArray(vector) && Object.keys(vector).length === 0;
    if (!empty) {
      throw new HttpFailure(400, 'Wrong input: Not existing vector name error: the collection has no vectors');
    }
    return {
      id: point.id as PointId,
      vector: new Float32Array(0),
      payload: (point.payload ?? {}) as Record<string, unknown>,
    };
  }

  #updateResult(c: Collection, query: URLSearchParams, version = ++c.operations): unknown {
    return { operation_id: version, status: query.get('wait') === 'true' ? 'completed' : 'acknowledged' };
  }

  #query(c: Collection, input: Record<string, unknown>): unknown {
    only(
      input,
      ['query', 'limit', 'offset', 'with_payload', 'with_vector', 'params', 'score_threshold', 'using'],
      'query',
    );
    if (input['using'] !== undefined && input['using'] !== null && input['using'] !== '') {
      throw new HttpFailure(501, 'the fake models the unnamed vector only', true);
    }
    let vector = input['query'];
    if (typeof vector === 'object' && vector !== null && !Array.isArray(vector) && 'nearest' in vector)
      vector = (vector as { nearest: unknown }).nearest;
    if (!Array.isArray(vector) || vector.some((x) => typeof x !== 'number')) {
      throw new HttpFailure(501, 'the fake models plain dense vector queries only', true);
    }
    const params = (input['params'] ?? {}) as Record<string, unknown>;
    only(params, ['exact', 'hnsw_ef', 'indexed_only'], 'params');
    if (c.size === 0)
      throw new HttpFailure(400, 'Wrong input: Not existing vector name error: the collection has no vectors');
    if (vector.length !== c.size)
      throw new HttpFailure(
        400,
        `Wrong input: Vector dimension error: expected dim: ${c.size}, got ${vector.length}`,
      );
    const q = Float32Array.from(vector as number[]);
    const limit = (input['limit'] as number | null | undefined) ?? 10;
    const offset = (input['offset'] as number | null | undefined) ?? 0;
    const threshold = input['score_threshold'] as number | null | undefined;
    const direction = this.#options.tieOrder === 'insertion' ? 1 : -1;
    const scored = [...c.points.values()]
      .map((point) => ({ point, score: dot(q, point.vector) }))
      .filter(({ score }) => threshold === undefined || threshold === null || score >= threshold)
      .sort((a, b) => b.score - a.score || direction * (a.point.sequence - b.point.sequence))
      .slice(offset, offset + limit);
    return {
      points: scored.map(({ point, score }) => ({
        id: point.id,
        version: point.version,
        score,
        ...selectPayload(point.payload, input['with_payload'], false),
        ...(input['with_vector'] === true ? { vector: Array.from(point.vector) } : {}),
      })),
    };
  }

  #scroll(c: Collection, input: Record<string, unknown>): unknown {
    only(input, ['offset', 'limit', 'with_payload', 'with_vector', 'filter', 'order_by'], 'scroll');
    unsupportedIfSet(input, 'filter');
    unsupportedIfSet(input, 'order_by');
    const limit = (input['limit'] as number | null | undefined) ?? 10;
    const sorted = [...c.points.values()].sort((a, b) => compareIds(a.id, b.id));
    const offset = input['offset'] as PointId | null | undefined;
    const start =
      offset === undefined || offset === null
        ? 0
        : sorted.findIndex((p) => compareIds(p.id, canonicalId(offset)) >= 0);
    const page = start < 0 ? [] : sorted.slice(start, start + limit);
    const next = start < 0 ? undefined : sorted[start + limit];
    return {
      points: page.map((p) => this.#record(p, input)),
      next_page_offset: next === undefined ? null : next.id,
    };
  }

  #retrieve(c: Collection, input: Record<string, unknown>): unknown {
    only(input, ['ids', 'with_payload', 'with_vector'], 'get_points');
    const ids = input['ids'] as PointId[];
    return ids.flatMap((id) => {
      const point = c.points.get(pointKey(id));
      return point === undefined ? [] : [this.#record(point, input)];
    });
  }

  #record(p: StoredPoint, input: Record<string, unknown>): unknown {
    const vector = p.vector.length === 0 ? {} : Array.from(p.vector);
    return {
      id: p.id,
      ...selectPayload(p.payload, input['with_payload'], true),
      ...(input['with_vector'] === true ? { vector } : {}),
    };
  }

  #deletePoints(c: Collection, input: Record<string, unknown>, query: URLSearchParams): unknown {
    if (!Array.isArray(input['points']))
      throw new HttpFailure(501, 'the fake deletes by point ids only', true);
    only(input, ['points'], 'delete_points');
    for (const id of input['points'] as PointId[]) c.points.delete(pointKey(id));
    return this.#updateResult(c, query);
  }

  #takeFault(operationId: string): Fault | undefined {
    const entry = this.#faults.find(
      (f) => f.left > 0 && (f.fault.operationId === undefined || f.fault.operationId === operationId),
    );
    if (entry === undefined) return undefined;
    entry.left--;
    return entry.fault;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const pending = {
        timer: setTimeout(() => {
          this.#timers.delete(pending);
          resolve();
        }, ms),
        resolve,
      };
      this.#timers.add(pending);
    });
  }

  #enter(operationId: string): void {
    for (const key of [operationId, '*']) {
      const now = (this.#inFlight.get(key) ?? 0) + 1;
      this.#inFlight.set(key, now);
      this.#peak.set(key, Math.max(this.#peak.get(key) ?? 0, now));
    }
  }

  #leave(operationId: string): void {
    for (const key of [operationId, '*']) this.#inFlight.set(key, (this.#inFlight.get(key) ?? 1) - 1);
  }
}

/** Fields the fake does not model are refused (501) and recorded, never silently ignored. */
function only(input: object, known: readonly string[], what: string): void {
  for (const [key, value] of Object.entries(input)) {
    if (value !== null && value !== undefined && !known.includes(key)) {
      throw new HttpFailure(501, `the fake does not model ${what} field "${key}"`, true);
    }
  }
}

function unsupportedIfSet(input: Record<string, unknown>, key: string): void {
  if (input[key] !== undefined && input[key] !== null)
    throw new HttpFailure(501, `the fake does not model "${key}"`, true);
}

function withoutNulls<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== null && v !== undefined),
  ) as Partial<T>;
}

function selectPayload(
  payload: Record<string, unknown>,
  selector: unknown,
  isRecord: boolean,
): { payload?: Record<string, unknown> } {
  // Records (scroll, retrieve) include the payload unless told otherwise; scored points only when asked.
  if (selector === undefined || selector === null)
    return isRecord ? { payload: structuredClone(payload) } : {};
  if (selector === false) return {};
  if (selector === true) return { payload: structuredClone(payload) };
  const include = Array.isArray(selector)
    ? (selector as string[])
    : (selector as { include?: string[] }).include;
  const exclude = Array.isArray(selector) ? undefined : (selector as { exclude?: string[] }).exclude;
  const picked = Object.entries(payload).filter(
    ([key]) => (include === undefined || include.includes(key)) && !(exclude ?? []).includes(key),
  );
  return { payload: structuredClone(Object.fromEntries(picked)) };
}

/** Float32 dot product, as the server computes it (summed in double here, then rounded to float). */
function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return Math.fround(sum);
}

function canonicalId(id: PointId): PointId {
  return typeof id === 'number' ? id : id.toLowerCase().replace(/^urn:uuid:/, '');
}

function pointKey(id: PointId): string {
  const canonical = canonicalId(id);
  return typeof canonical === 'number' ? `n:${canonical}` : `u:${canonical}`;
}

function compareIds(a: PointId, b: PointId): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
