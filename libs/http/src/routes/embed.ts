import type { FastifyInstance } from 'fastify';
import {
  FixedSizeList,
  Field,
  Float32,
  Schema,
  Struct,
  RecordBatch,
  Table,
  makeData,
  tableToIPC,
} from 'apache-arrow';
import type { RouteContext } from '../context.ts';
import { requireScope } from '../auth.ts';
import { modelName } from '../public-detail.ts';
import { bodyErrorResponses, textList, textsSchema } from '../schemas.ts';

export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';
/** Indices of the inputs the model cut, comma-separated: the Arrow answer has no other place to say so. */
export const TRUNCATED_INPUTS_HEADER = 'x-truncated-inputs';

const TRUNCATED_DESCRIPTION =
  'indices of the inputs longer than the model reads (max_seq_length, 384 tokens for DistilBERT): only their ' +
  'first tokens were embedded, as sentence-transformers does';

interface EmbedBody {
  input: string | string[];
}

/** POST /v1/embed: the model's normalized vectors, as JSON or (Accept: Arrow stream) an Arrow IPC stream. */
export async function embedRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.post<{ Body: EmbedBody }>(
    '/v1/embed',
    {
      onRequest: requireScope(ctx.keyring, 'read'),
      preValidation: ctx.rateLimit,
      schema: {
        summary: 'Embed texts',
        description:
          `Normalized embeddings, row i for input i. JSON by default; with \`Accept: ${ARROW_STREAM}\` an Arrow IPC ` +
          'stream of one column, `embedding`: FixedSizeList<Float32>[dimension].',
        tags: ['embed'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['input'],
          properties: { input: textsSchema(ctx.limits, 'a text, or a list of texts') },
        },
        response: {
          200: {
            description: `JSON, or with \`Accept: ${ARROW_STREAM}\` an Arrow IPC stream`,
            headers: {
              [TRUNCATED_INPUTS_HEADER]: {
                description: `comma-separated ${TRUNCATED_DESCRIPTION}; absent when none was`,
                schema: { type: 'string' },
              },
            },
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    model: { type: 'string' },
                    dimension: { type: 'integer' },
                    embeddings: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
                    truncated: {
                      type: 'array',
                      items: { type: 'integer' },
                      description: TRUNCATED_DESCRIPTION,
                    },
                  },
                  required: ['model', 'dimension', 'embeddings', 'truncated'],
                },
              },
              [ARROW_STREAM]: {
                schema: {
                  type: 'string',
                  format: 'binary',
                  description: 'one column, `embedding`: FixedSizeList<Float32>[dimension]',
                },
              },
            },
          },
          ...bodyErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const texts = textList(request.body.input, 'input');
      const queries = await ctx.encoder.encode(texts);
      const vectors = queries.map((query) => query.vector);
      const { dimension, modelDir, variant } = ctx.encoder.describe();
      const truncated = queries.flatMap((query, i) => (query.truncated ? [i] : []));
      if (truncated.length > 0) reply.header(TRUNCATED_INPUTS_HEADER, truncated.join(','));
      if (wantsArrow(request.headers.accept)) {
        return reply.type(ARROW_STREAM).send(Buffer.from(arrowStream(vectors, dimension)));
      }
      // The model's name, not its folder: the answer should not tell the host's file layout.
      return {
        model: `${modelName(modelDir)} (${variant})`,
        dimension,
        embeddings: vectors.map((v) => Array.from(v)),
        truncated,
      };
    },
  );
}

/**
 * Arrow only when the client asks for it by name (a bare wildcard gets JSON), with a quality above 0 and
 * at least that of application/json: `arrow;q=0` refuses it, `application/json, arrow;q=0.5` prefers JSON.
 */
function wantsArrow(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const quality = new Map<string, number>();
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    quality.set(type!, Math.max(quality.get(type!) ?? 0, Number.isFinite(value) ? value : 0));
  }
  const arrow = quality.get(ARROW_STREAM);
  return arrow !== undefined && arrow > 0 && arrow >= (quality.get('application/json') ?? 0);
}

/** One record batch, column `embedding`, sharing nothing with the cache (the floats are copied in). */
function arrowStream(vectors: readonly Float32Array[], dimension: number): Uint8Array {
  const values = new Float32Array(vectors.length * dimension);
  vectors.forEach((vector, i) => values.set(vector, i * dimension));
  const type = new FixedSizeList(dimension, new Field('item', new Float32(), false));
  const schema = new Schema([new Field('embedding', type, false)]);
  const column = makeData({
    type,
    length: vectors.length,
    nullCount: 0,
    child: makeData({ type: new Float32(), data: values }),
  });
  const struct = makeData({
    type: new Struct(schema.fields),
    length: vectors.length,
    nullCount: 0,
    children: [column],
  });
  return tableToIPC(new Table([new RecordBatch(schema, struct)]), 'stream');
}
