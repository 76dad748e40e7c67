import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.ts';
import { InvalidRequestError } from '../errors/invalid-request-error.ts';
import { UnknownCollectionError } from '../errors/unknown-collection-error.ts';
import { unknownCollection } from './collections.ts';
import { filterSchema, type Filter } from '../filter.ts';
import { bodyErrorResponses, collectionNameSchema, textList, textsSchema } from '../schemas.ts';
import { requireScope } from '../auth.ts';

/** Largest top_k: deeper pages are an export job (store.scan), not a search. */
export const MAX_TOP_K = 1000;

/**
 * Default bound on the hits of one search request, queries x top_k: 64 queries x top_k 1,000 with payloads
 * would be tens of MB in one answer, held in memory while it is serialized. 10,000 allows top_k 1,000 for 10
 * queries, or top_k 156 for 64. ApiOptions.maxSearchHits sets another.
 */
export const DEFAULT_MAX_SEARCH_HITS = 10_000;

interface SearchBody {
  query: string | string[];
  top_k: number;
  collection?: string;
  filter?: Filter;
  with_payload: boolean;
}

const hitSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'the corpus id' },
    score: { type: 'number', description: 'dot product = cosine similarity (vectors are normalized)' },
    payload: { type: 'object', additionalProperties: true, description: '{ text, ...record fields }' },
  },
  required: ['id', 'score'],
} as const;

/** POST /v1/search: top-k passages per query, best first. */
export async function searchRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.post<{ Body: SearchBody }>(
    '/v1/search',
    {
      onRequest: requireScope(ctx.keyring, 'read'),
      preValidation: ctx.rateLimit,
      schema: {
        summary: 'Semantic search',
        description:
          'Embeds each query and returns its top_k hits ranked by dot product (cosine: vectors are normalized). ' +
          'A list of queries is encoded in one inference call.',
        tags: ['search'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['query'],
          properties: {
            query: textsSchema(ctx.limits, 'a query, or a list of queries'),
            top_k: {
              type: 'integer',
              minimum: 1,
              maximum: MAX_TOP_K,
              default: 10,
              description: `hits per query; queries x top_k is at most ${ctx.limits.maxSearchHits} a request`,
            },
            collection: {
              ...collectionNameSchema,
              description:
                ctx.defaultCollection === undefined
                  ? 'the collection to search'
                  : `default "${ctx.defaultCollection}"`,
            },
            filter: filterSchema,
            with_payload: {
              type: 'boolean',
              default: true,
              description: 'include { text, ...fields } in hits',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              collection: { type: 'string' },
              results: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    query: { type: 'string' },
                    truncated: {
                      type: 'boolean',
                      description:
                        'true when the query is longer than the model reads (max_seq_length, 384 tokens for DistilBERT): ' +
                        'only its first tokens were embedded, as sentence-transformers does',
                    },
                    hits: { type: 'array', items: hitSchema },
                  },
                  required: ['query', 'truncated', 'hits'],
                },
              },
              warnings: { type: 'array', items: { type: 'string' } },
            },
            required: ['collection', 'results'],
          },
          ...bodyErrorResponses,
          404: { $ref: 'ErrorBody#' },
          409: { $ref: 'ErrorBody#' },
        },
      },
    },
    async (request) => {
      const body = request.body;
      const collection = body.collection ?? ctx.defaultCollection;
      if (collection === undefined) {
        throw new InvalidRequestError(
          'collection is required: this server has no default collection (EMBEDLINE_API_DEFAULT_COLLECTION)',
        );
      }
      const queries = textList(body.query, 'query');
      checkSearchSize(queries.length, body.top_k, ctx.limits.maxSearchHits);
      try {
        return await ctx.search.search({
          collection,
          queries,
          topK: body.top_k,
          withPayload: body.with_payload,
          filter: body.filter,
        });
      } catch (error) {
        // Say so when the collection is missing because its ingest has stored nothing yet.
        if (error instanceof UnknownCollectionError)
          throw await unknownCollection(ctx, collection, request.log);
        throw error;
      }
    },
  );
}

/** A 400 naming both inputs when queries x top_k is over the server's bound (before any inference). */
function checkSearchSize(queries: number, topK: number, maxHits: number): void {
  if (queries * topK <= maxHits) return;
  throw new InvalidRequestError(
    `this search asks for ${queries} ${queries === 1 ? 'query' : 'queries'} x top_k ${topK} = ${queries * topK} hits; ` +
      `this server answers at most ${maxHits} hits a request (queries x top_k): send fewer queries or a smaller top_k`,
    'search_too_large',
  );
}
