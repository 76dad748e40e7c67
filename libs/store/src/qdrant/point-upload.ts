// upsert()'s writes: points go in batches with a few requests in flight, and each request is answered
// only once Qdrant has applied it, so a resolved upsert means durable and searchable.
import type { Schemas } from '@qdrant/js-client-rest';
import { dimensionError } from './collection-dimension.ts';
import { forEachBounded } from './for-each-bounded.ts';
import type { QdrantConnection } from './qdrant-connection.ts';
import { QdrantRequestError } from './qdrant-errors.ts';
import { CORPUS_ID_KEY } from './payload-codec.ts';
import { RetryableCondition } from './retry.ts';
import type { ResolvedStoreOptions } from './store-options.ts';

type PointStruct = Schemas['PointStruct'];

export type UploadSettings = Pick<ResolvedStoreOptions, 'batchSize' | 'concurrency' | 'ordering'>;

/**
 * Qdrant refuses a JSON body over `service.max_request_size_mb` (32 MB by default) with a 400 from actix-web,
 * "Payload error: JSON payload (N bytes) is larger than allowed (limit: L bytes)." (or "JSON payload has
 * exceeded limit (L bytes)." without a Content-Length); a proxy in front of it answers 413.
 */
const PAYLOAD_TOO_LARGE = /JSON payload .*(is larger than allowed|has exceeded limit)/;

export async function uploadPoints(
  connection: QdrantConnection,
  name: string,
  points: PointStruct[],
  dimension: number,
  settings: UploadSettings,
): Promise<void> {
  // The largest request size (in points) known to fit, shared by the batches of this call: once one batch
  // was too large, the ones after it are not sent whole only to be refused too.
  const fits = { points: settings.batchSize };
  await forEachBounded(chunksOf(points, settings.batchSize), settings.concurrency, async (chunk) => {
    try {
      await upsertFitting(connection, name, chunk, settings, fits);
    } catch (error) {
      throw await dimensionError(connection, error, name, dimension, "the batch's vectors have");
    }
  });
}

/** Sends `chunk` in requests of at most `fits.points`, read before each (another batch may lower it). */
async function upsertFitting(
  connection: QdrantConnection,
  name: string,
  chunk: PointStruct[],
  settings: UploadSettings,
  fits: { points: number },
): Promise<void> {
  for (let start = 0; start < chunk.length;) {
    const part = chunk.slice(start, start + fits.points);
    await upsertSplitting(connection, name, part, settings, fits);
    start += part.length;
  }
}

/**
 * One upsert request. One over the collection's strict-mode batch limit is sent again in requests of that
 * limit; one the server finds too large, in halves down to one point. Either way `fits` keeps the smaller size.
 */
async function upsertSplitting(
  connection: QdrantConnection,
  name: string,
  chunk: PointStruct[],
  settings: UploadSettings,
  fits: { points: number },
): Promise<void> {
  try {
    await upsertRequest(connection, name, chunk, settings);
  } catch (error) {
    const allowed = strictModeUpsertLimit(error);
    if (allowed !== undefined && allowed >= 1 && allowed < chunk.length) {
      fits.points = Math.min(fits.points, allowed);
    } else {
      if (!isPayloadTooLarge(error)) throw error;
      if (chunk.length === 1) throw pointTooLarge(name, chunk[0]!, error);
      fits.points = Math.min(fits.points, Math.ceil(chunk.length / 2));
    }
    await upsertFitting(connection, name, chunk, settings, fits);
  }
}

/**
 * The points per upsert a collection in strict mode allows (`strict_mode_config.upsert_max_batchsize`),
 * when Qdrant refused a request for exceeding it: 400, `Limit exceeded 129 > 100 for "upsert limit"`
 * (lib/collection/src/operations/verification). Undefined for any other failure.
 */
function strictModeUpsertLimit(error: unknown): number | undefined {
  if (!(error instanceof QdrantRequestError) || error.status !== 400) return undefined;
  const limit = /Limit exceeded \d+ > (\d+) for "?upsert limit/.exec(error.message)?.[1];
  return limit === undefined ? undefined : Number(limit);
}

async function upsertRequest(
  connection: QdrantConnection,
  name: string,
  chunk: PointStruct[],
  settings: UploadSettings,
): Promise<void> {
  const operation = `upsert of ${chunk.length} points into "${name}"`;
  await connection.call(operation, name, async (c, q) => {
    // wait: true — Qdrant answers once the points are applied (WAL + segments), so a resolved upsert
    // means durable and searchable, and the worker may ack its shard.
    const result = await c.upsert(q, { wait: true, ordering: settings.ordering, points: chunk });
    if (result.status !== 'completed')
      throw new RetryableCondition(`upsert answered "${result.status}", not "completed"`);
  });
}

function isPayloadTooLarge(error: unknown): error is QdrantRequestError {
  if (!(error instanceof QdrantRequestError)) return false;
  return error.status === 413 || (error.status === 400 && PAYLOAD_TOO_LARGE.test(error.message));
}

/** A point that alone is over the server's request limit: which one, how large, and what to do. */
function pointTooLarge(name: string, point: PointStruct, error: QdrantRequestError): QdrantRequestError {
  const corpusId = point.payload?.[CORPUS_ID_KEY];
  const which =
    typeof corpusId === 'string' ? `"${corpusId}" (point id ${point.id})` : `point id ${point.id}`;
  const bytes = Buffer.byteLength(JSON.stringify({ points: [point] }));
  const limit = /limit:? \(?(\d+) bytes/.exec(error.message)?.[1];
  return new QdrantRequestError(
    `upsert of 1 point into "${name}"`,
    error.status,
    `passage ${which} alone is ${bytes} bytes of JSON, over the server's request size limit` +
      `${limit === undefined ? '' : ` (${limit} bytes)`}: shorten its text or payload, or raise Qdrant's` +
      ' service.max_request_size_mb (or the body size limit of a proxy in front of it, for a 413)',
    { cause: error, endpoint: error.endpoint },
  );
}

function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
