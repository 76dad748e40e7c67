import type { MemoryIndex } from '@embedline/memory-index';
import { CollectionNotFoundError, type SearchHit, type VectorStore } from '@embedline/store';
import { BUILT_IN_FIELDS, checkFilterFields, matchesFilter, type Filter } from './filter.ts';
import type { ApiMetrics } from './metrics.ts';
import { MicroBatcher } from './micro-batcher.ts';
import type { QueryEncoder } from './query-encoder.ts';
import { callStore } from './store-access.ts';

export interface SearchRequest {
  readonly collection: string;
  readonly queries: readonly string[];
  readonly topK: number;
  readonly withPayload: boolean;
  readonly filter?: Filter;
}

export interface QueryResult {
  readonly query: string;
  /** The query was longer than the model reads: only its first max_seq_length tokens were embedded. */
  readonly truncated: boolean;
  readonly hits: SearchHit[];
}

export interface SearchResponse {
  readonly collection: string;
  readonly results: QueryResult[];
  /** Set when a filter matched fewer than top_k among the candidates searched (see MAX_FILTER_CANDIDATES). */
  readonly warnings?: string[];
}

/**
 * A filtered search ranks the store's best candidates and keeps those that match, fetching 4x more each
 * round until top_k match or the collection runs out. This bounds the work of a very selective filter.
 */
export const MAX_FILTER_CANDIDATES = 10_000;

/**
 * Filtered queries of one request searched at a time. Each may hold up to MAX_FILTER_CANDIDATES hits with
 * payloads: 64 queries at once were ~640k (hundreds of MB); four at a time bound a request to 40k with the same
 * recall, and unfiltered queries, which the search hits bound already limits, still go all at once.
 */
export const FILTERED_QUERIES_AT_ONCE = 4;
/** Payload fields are learned from this many points of a collection (see collectionFields). */
export const FIELD_SAMPLE_POINTS = 1_000;
const FIELD_CACHE_MS = 60_000;

/** One query vector's search, as the search micro-batches collect them. */
interface VectorQuery {
  readonly vector: Float32Array;
  readonly topK: number;
  readonly withPayload: boolean;
}

export interface SearchServiceOptions {
  /** Collections held in memory and searched a micro-batch at a time; without it, every search is the store's. */
  readonly memory?: MemoryIndex;
  /** Query vectors per search call (the encoder's batch size: 1 searches one at a time). */
  readonly batchMaxQueries: number;
}

/**
 * Search with query vectors from the (micro-batching, caching) query encoder: in the memory index when it
 * holds the collection (the vectors of concurrent requests searched in one call), else in the store.
 */
export class SearchService {
  private readonly fields = new Map<string, { readonly at: number; readonly fields: Promise<Set<string>> }>();
  /** Search micro-batchers by collection, payload choice and top_k class (see searchVector). */
  private readonly batchers = new Map<string, MicroBatcher<VectorQuery, SearchHit[]>>();

  constructor(
    private readonly store: VectorStore,
    private readonly encoder: QueryEncoder,
    private readonly metrics: ApiMetrics,
    private readonly options: SearchServiceOptions = { batchMaxQueries: 1 },
  ) {}

  async search(request: SearchRequest): Promise<SearchResponse> {
    const { collection, filter } = request;
    // Checked before encoding: a bad filter costs no inference. (Without a filter, an unknown collection is
    // found by the search itself: checking first would cost every request a store round trip.)
    if (filter !== undefined) checkFilterFields(filter, await this.collectionFields(collection), collection);
    const queries = await this.encoder.encode(request.queries);
    const found = await inGroups(
      queries,
      filter === undefined ? queries.length : FILTERED_QUERIES_AT_ONCE,
      (query) => this.searchOne(request, query.vector),
    );
    const warnings = found.flatMap((hits, i) =>
      hits.exhaustedCandidates
        ? [
            `query ${i}: the filter matched ${hits.hits.length} of the best ${MAX_FILTER_CANDIDATES} candidates; ` +
              'rarer matches further down were not searched',
          ]
        : [],
    );
    const results = found.map((hits, i) => ({
      query: request.queries[i]!,
      truncated: queries[i]!.truncated,
      hits: hits.hits,
    }));
    return warnings.length > 0 ? { collection, results, warnings } : { collection, results };
  }

  private async searchOne(request: SearchRequest, vector: Float32Array) {
    const { collection, topK, filter, withPayload } = request;
    if (filter === undefined) {
      return {
        hits: await this.searchVector(collection, { vector, topK, withPayload }),
        exhaustedCandidates: false,
      };
    }
    for (
      let limit = Math.min(Math.max(topK * 4, 64), MAX_FILTER_CANDIDATES);
      ;
      limit = Math.min(limit * 4, MAX_FILTER_CANDIDATES)
    ) {
      const candidates = await this.searchVector(collection, { vector, topK: limit, withPayload: true });
      const matched = candidates.filter((hit) => matchesFilter(hit, filter)).slice(0, topK);
      const complete = matched.length === topK || candidates.length < limit;
      if (complete || limit === MAX_FILTER_CANDIDATES) {
        const hits = withPayload ? matched : matched.map(({ id, score }) => ({ id, score }));
        return { hits, exhaustedCandidates: !complete };
      }
    }
  }

  /** One vector's hits: from the memory index, batched with concurrent requests, when it holds the collection. */
  private searchVector(collection: string, query: VectorQuery): Promise<SearchHit[]> {
    if (this.options.memory?.resident(collection) === undefined) return this.searchStore(collection, query);
    // Queries share a call with others of the same payload choice and a top_k within 2x of theirs: a
    // filtered search's 10,000 candidates must not make every query beside it fetch 10,000.
    const key = `${collection}\u0000${query.withPayload}\u0000${Math.ceil(Math.log2(query.topK))}`;
    let batcher = this.batchers.get(key);
    if (batcher === undefined) {
      batcher = new MicroBatcher((queries) => this.searchBatch(collection, queries), {
        // No wait of its own: the requests of one encoder batch arrive here together, and while a
        // search runs the next ones gather.
        maxWaitMs: 0,
        maxBatch: this.options.batchMaxQueries,
        onBatch: (report) => this.metrics.observeSearchBatch(report),
      });
      this.batchers.set(key, batcher);
    }
    return batcher.submit([query]).then(([hits]) => hits!);
  }

  /** A micro-batch of vectors in one memory-index call (the batch's largest top_k, then cut per query). */
  private async searchBatch(collection: string, queries: readonly VectorQuery[]): Promise<SearchHit[][]> {
    const memory = this.options.memory!;
    const resident = memory.resident(collection);
    // Dropped since these queries were sent here (the collection changed): the store answers them.
    if (resident === undefined)
      return Promise.all(queries.map((query) => this.searchStore(collection, query)));
    const topK = Math.max(...queries.map((query) => query.topK));
    const vectors = queries.map((query) => query.vector);
    const results = await callStore(this.metrics, 'memory-search', () =>
      memory.search(resident, vectors, topK, queries[0]!.withPayload),
    );
    return results.map((hits, i) => hits.slice(0, queries[i]!.topK));
  }

  private searchStore(collection: string, { vector, topK, withPayload }: VectorQuery): Promise<SearchHit[]> {
    return callStore(this.metrics, 'search', () =>
      this.store.search(collection, vector, { topK, withPayload }),
    );
  }

  /**
   * The fields a filter may name: `id`, `text` and every payload field seen in the first
   * FIELD_SAMPLE_POINTS points (records have no declared schema). Cached for a minute per collection.
   */
  async collectionFields(collection: string): Promise<Set<string>> {
    const cached = this.fields.get(collection);
    if (cached !== undefined && Date.now() - cached.at < FIELD_CACHE_MS) return cached.fields;
    const fields = callStore(this.metrics, 'sample-fields', () => this.sampleFields(collection));
    this.fields.set(collection, { at: Date.now(), fields });
    fields.catch(() => this.fields.delete(collection)); // failures are not cached
    return fields;
  }

  private async sampleFields(collection: string): Promise<Set<string>> {
    await this.requireCollection(collection);
    const fields = new Set<string>(BUILT_IN_FIELDS);
    let seen = 0;
    for await (const rows of this.store.scan(collection)) {
      for (const payload of rows.payloads ?? []) {
        for (const key of Object.keys(payload ?? {})) fields.add(key);
      }
      seen += rows.ids.length;
      if (seen >= FIELD_SAMPLE_POINTS) break;
    }
    return fields;
  }

  private async requireCollection(collection: string): Promise<void> {
    // describe() answers undefined for a missing collection; callStore maps the error to a 404.
    if ((await this.store.describe(collection)) === undefined) throw new CollectionNotFoundError(collection);
  }
}

/** `task` over `items`, `size` at a time (a group starts when the previous one is done), results in order. */
async function inGroups<T, R>(
  items: readonly T[],
  size: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += Math.max(1, size)) {
    results.push(...(await Promise.all(items.slice(start, start + Math.max(1, size)).map(task))));
  }
  return results;
}
