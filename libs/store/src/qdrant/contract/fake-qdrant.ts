import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpFailure } from './fake-failure.ts';
import { executeOperation, type RouteResult } from './fake-routes.ts';
import { FakeState, type CollectionSnapshot, type CollectionStatus } from './fake-state.ts';
import { OpenApiContract, type OperationMatch } from './openapi-contract.ts';
import { isWellFormedDeep } from '../well-formed.ts';

export type { CollectionSnapshot } from './fake-state.ts';

/**
 * A loopback stand-in for a Qdrant server, for contract tests of the Qdrant store with the real
 * `@qdrant/js-client-rest`:
 *
 * - every request is matched to an operation of Qdrant's OpenAPI document and its parameters and JSON
 *   body are validated (see OpenApiContract); an unknown endpoint, a bad parameter or body, or a field the
 *   fake does not model is answered 400/404/405 (or 501) AND recorded in `violations`;
 * - the endpoints the adapter uses are implemented in memory with Qdrant's semantics (one unnamed dense
 *   vector scored with `Dot` distance (a collection of another distance is kept, and its queries refused
 *   as unmodelled), float32 scores, points ordered by id, merged collection metadata, ...), and
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
  /** Require this `api-key` header (401 when missing or unknown, as Qdrant's src/common/auth/mod.rs answers). */
  readonly apiKey?: string;
  /**
   * Also accept this key, for reads only (Qdrant's `read_only_api_key`): a request that writes (creates,
   * updates or deletes a collection, an index or points) is answered 403, "Global manage access is required"
   * (lib/storage/src/rbac/mod.rs).
   */
  readonly readOnlyApiKey?: string;
  /** Version reported by `GET /`. Below 1.16 collection `metadata` is refused, as such servers do. Default 1.19.0. */
  readonly version?: string;
  /** After a change of indexing settings, how many `GET /collections/{name}` report yellow. Default 2. */
  readonly optimizationPolls?: number;
  /**
   * Qdrant's `service.max_request_size_mb`, in bytes: a larger JSON body is answered as actix-web's JSON
   * extractor does through Qdrant's error handler (src/actix/mod.rs): 400, "Payload error: JSON payload (N
   * bytes) is larger than allowed (limit: L bytes).". Default none.
   */
  readonly maxRequestBytes?: number;
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
  /** The answer's `status.error` with `status`, instead of a generic text. */
  readonly error?: string;
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

/** An answer: a result for the `{ result, status, time }` envelope, or an error. */
type Outcome =
  | ({ readonly status: 200 } & RouteResult)
  | { readonly status: number; readonly error: string; readonly violation?: boolean };

/** The operations the fake implements that write, which Qdrant refuses to a read-only key. */
const WRITE_OPERATIONS = new Set([
  'create_collection',
  'update_collection',
  'delete_collection',
  'create_field_index',
  'upsert_points',
  'delete_points',
]);

/** The `time` (s) every answer reports. */
const TIME = 0.000_125;

let sharedContract: OpenApiContract | undefined;

/**
 * The transport half of the fake: the loopback server, the api-key check, contract validation of
 * requests and answers, injected faults and latency, and the records tests assert on. What the
 * endpoints do is in fake-routes.ts and the handlers it dispatches to, over the state in fake-state.ts.
 */
export class FakeQdrant {
  readonly url: string;
  readonly requests: RecordedRequest[] = [];
  /** Contract violations by the client (and by the fake's own answers); tests assert this stays empty. */
  readonly violations: string[] = [];
  readonly #server: Server;
  readonly #contract: OpenApiContract;
  readonly #apiKey: string | undefined;
  readonly #readOnlyApiKey: string | undefined;
  readonly #latencyMs: number;
  readonly #maxRequestBytes: number;
  readonly #state: FakeState;
  readonly #faults: { fault: Fault; left: number }[] = [];
  readonly #timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  readonly #inFlight = new Map<string, number>();
  readonly #peak = new Map<string, number>();

  private constructor(server: Server, url: string, contract: OpenApiContract, options: FakeQdrantOptions) {
    this.#server = server;
    this.url = url;
    this.#contract = contract;
    this.#apiKey = options.apiKey;
    this.#readOnlyApiKey = options.readOnlyApiKey;
    this.#latencyMs = options.latencyMs ?? 0;
    this.#maxRequestBytes = options.maxRequestBytes ?? Number.POSITIVE_INFINITY;
    this.#state = new FakeState({
      version: options.version ?? '1.19.0',
      optimizationPolls: options.optimizationPolls ?? 2,
      tieOrder: options.tieOrder ?? 'reverse-insertion',
    });
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
    return this.#state.snapshot(name);
  }

  /** Forces a collection's status, e.g. `red`, or `grey` until an update triggers the optimizers. */
  setStatus(name: string, status: CollectionStatus): void {
    this.#state.setStatus(name, status);
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
    const denied = this.#deniedAccess(request, match.operation.operationId);
    if (denied !== undefined) return denied;
    const bytes = Buffer.byteLength(raw);
    if (bytes > this.#maxRequestBytes) {
      const error = `JSON payload (${bytes} bytes) is larger than allowed (limit: ${this.#maxRequestBytes} bytes).`;
      return { status: 400, error: `Payload error: ${error}` };
    }
    const unparsable = serdeJsonRefusal(raw);
    if (unparsable !== undefined) return { status: 400, error: `Format error in JSON body: ${unparsable}` };
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
    if (fault?.status !== undefined) return faultAnswer(fault.status, fault);
    if (this.#latencyMs > 0) await this.#sleep(this.#latencyMs);
    return this.#execute(match, url.searchParams, body);
  }

  /**
   * Qdrant's answers (src/common/auth/mod.rs): 401 without a key or with one it does not know, 403 for a
   * write with the read-only key; undefined when access is granted.
   */
  #deniedAccess(request: IncomingMessage, operationId: string): Outcome | undefined {
    const key = this.#apiKey;
    if (key === undefined) return undefined;
    const given = request.headers['api-key'];
    if (given === undefined)
      return { status: 401, error: 'Unauthorized: Must provide an API key or an Authorization bearer token' };
    if (given === key) return undefined;
    if (given !== this.#readOnlyApiKey) return { status: 401, error: 'Unauthorized: Invalid API key or JWT' };
    if (WRITE_OPERATIONS.has(operationId))
      return { status: 403, error: 'Forbidden: Global manage access is required' };
    return undefined;
  }

  /** Runs the endpoint; a handler's HttpFailure becomes the error answer (recorded when a violation). */
  #execute(match: OperationMatch, query: URLSearchParams, body: unknown): Outcome {
    const operationId = match.operation.operationId;
    try {
      return { status: 200, ...executeOperation(this.#state, operationId, match.pathParams, query, body) };
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
    let status = outcome.status;
    let body = envelope(outcome);
    if (match !== undefined) {
      const problems = this.#contract.validateResponse(match, status, body);
      if (problems.length > 0) {
        this.violations.push(...problems.map((p) => `the FAKE's answer broke the contract: ${p}`));
        status = 500;
        body = { status: { error: `fake produced an invalid response: ${problems.join('; ')}` }, time: TIME };
      }
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (outcome.retryAfter !== undefined) headers['retry-after'] = outcome.retryAfter;
    response.writeHead(status, headers);
    response.end(JSON.stringify(body));
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

/** Qdrant's body for an answer: `{ result, status: 'ok', time }`, `{ status: { error }, time }`, or raw. */
function envelope(outcome: Outcome): unknown {
  if (!('result' in outcome)) return { status: { error: outcome.error }, time: TIME };
  return outcome.raw === true ? outcome.result : { result: outcome.result, status: 'ok', time: TIME };
}

function faultAnswer(status: number, { retryAfter, error }: Fault): Outcome & { retryAfter?: string } {
  const generic =
    status === 429 ? 'Too many requests: rate limit exceeded' : 'Service unavailable: injected fault';
  return { status, error: error ?? generic, ...(retryAfter === undefined ? {} : { retryAfter }) };
}

/**
 * What serde_json, Qdrant's JSON parser, refuses in a body JSON.parse accepts: a string (value or key)
 * holding a lone surrogate, which JavaScript's JSON.stringify writes as a `\udXXX` escape and serde_json
 * answers with "lone leading surrogate in hex escape" (or "unexpected end of hex escape"; serde_json's
 * ErrorCode, src/error.rs). Undefined for a body it parses.
 */
function serdeJsonRefusal(raw: string): string | undefined {
  if (!/\\u[dD][89a-fA-F]/.test(raw)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined; // not JSON at all: the contract's validation says so
  }
  return isWellFormedDeep(parsed) ? undefined : 'lone leading surrogate in hex escape';
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
