// The fake's point endpoints: upsert (dense or payload-only points), query (Dot scores in float32, ties
// in a configurable write order), scroll and retrieve (records ordered by id), and delete by ids.
import { HttpFailure, only, unsupportedIfSet } from './fake-failure.ts';
import { canonicalId, compareIds, pointKey, type PointId } from './fake-point-ids.ts';
import { updateResult, type Collection, type FakeState, type StoredPoint } from './fake-state.ts';

type IncomingPoint = { id: unknown; vector: unknown; payload: unknown };
type PreparedPoint = { id: PointId; vector: Float32Array; payload: Record<string, unknown> };

/** Every point is checked before any is written, so a bad point leaves the collection as it was. */
export function upsertPoints(c: Collection, input: Record<string, unknown>, query: URLSearchParams): unknown {
  refuseNamedVectors(c);
  const prepared = incomingPoints(input).map((point) =>
    c.size === 0 ? payloadOnlyPoint(point) : densePoint(c, point),
  );
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
  return updateResult(c, query, version);
}

/** The points of an upsert body, in either of its forms: a list of points, or a batch of columns. */
function incomingPoints(input: Record<string, unknown>): IncomingPoint[] {
  if (Array.isArray(input['points'])) {
    only(input, ['points'], 'upsert');
    return input['points'] as IncomingPoint[];
  }
  only(input, ['batch'], 'upsert');
  const batch = input['batch'] as { ids: unknown[]; vectors: unknown; payloads?: unknown[] | null };
  if (!Array.isArray(batch.vectors))
    throw new HttpFailure(501, 'the fake models unnamed dense vectors only', true);
  const vectors = batch.vectors as unknown[];
  return batch.ids.map((id, i) => ({ id, vector: vectors[i], payload: batch.payloads?.[i] ?? null }));
}

/** A point with one unnamed dense vector of the collection's dimension. */
function densePoint(c: Collection, point: IncomingPoint): PreparedPoint {
  if (!Array.isArray(point.vector) || point.vector.some((x) => typeof x !== 'number')) {
    throw new HttpFailure(501, 'the fake models one unnamed dense vector per point', true);
  }
  if (point.vector.length !== c.size) throw dimensionError(c, point.vector.length);
  const vector = Float32Array.from(point.vector as number[]);
  return {
    id: point.id as PointId,
    // Qdrant stores a Cosine collection's vectors normalized ("normalized during upload").
    vector: c.distance === 'Cosine' ? normalized(vector) : vector,
    payload: (point.payload ?? {}) as Record<string, unknown>,
  };
}

/** A point of a payload-only collection: `vector: {}`, as Qdrant requires there (no vector name exists). */
function payloadOnlyPoint(point: IncomingPoint): PreparedPoint {
  const vector = point.vector;
  const empty =
    typeof vector === 'object' &&
    vector !== null &&
    !Array.isArray(vector) &&
    Object.keys(vector).length === 0;
  if (!empty) {
    throw new HttpFailure(400, 'Wrong input: Not existing vector name error: the collection has no vectors');
  }
  return {
    id: point.id as PointId,
    vector: new Float32Array(0),
    payload: (point.payload ?? {}) as Record<string, unknown>,
  };
}

export function queryPoints(state: FakeState, c: Collection, input: Record<string, unknown>): unknown {
  only(
    input,
    ['query', 'limit', 'offset', 'with_payload', 'with_vector', 'params', 'score_threshold', 'using'],
    'query',
  );
  const q = queryVector(c, input);
  const limit = (input['limit'] as number | null | undefined) ?? 10;
  const offset = (input['offset'] as number | null | undefined) ?? 0;
  const threshold = input['score_threshold'] as number | null | undefined;
  const direction = state.behaviour.tieOrder === 'insertion' ? 1 : -1;
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

/** The query's dense vector (plain, or `{ nearest }`), checked against what the fake models and the collection. */
function queryVector(c: Collection, input: Record<string, unknown>): Float32Array {
  refuseNamedVectors(c);
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
  if (c.distance !== 'Dot')
    throw new HttpFailure(501, `the fake scores Dot distance only, the collection has ${c.distance}`, true);
  if (vector.length !== c.size) throw dimensionError(c, vector.length);
  return Float32Array.from(vector as number[]);
}

export function scrollPoints(c: Collection, input: Record<string, unknown>): unknown {
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
    points: page.map((p) => toRecord(p, input)),
    next_page_offset: next === undefined ? null : next.id,
  };
}

export function retrievePoints(c: Collection, input: Record<string, unknown>): unknown {
  only(input, ['ids', 'with_payload', 'with_vector'], 'get_points');
  const ids = input['ids'] as PointId[];
  return ids.flatMap((id) => {
    const point = c.points.get(pointKey(id));
    return point === undefined ? [] : [toRecord(point, input)];
  });
}

function toRecord(p: StoredPoint, input: Record<string, unknown>): unknown {
  const vector = p.vector.length === 0 ? {} : Array.from(p.vector);
  return {
    id: p.id,
    ...selectPayload(p.payload, input['with_payload'], true),
    ...(input['with_vector'] === true ? { vector } : {}),
  };
}

export function deletePoints(c: Collection, input: Record<string, unknown>, query: URLSearchParams): unknown {
  if (!Array.isArray(input['points'])) throw new HttpFailure(501, 'the fake deletes by point ids only', true);
  only(input, ['points'], 'delete_points');
  for (const id of input['points'] as PointId[]) c.points.delete(pointKey(id));
  return updateResult(c, query);
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

function normalized(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector);
  return norm === 0 ? vector : vector.map((x) => x / norm);
}

/** Float32 dot product, as the server computes it (summed in double here, then rounded to float). */
function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return Math.fround(sum);
}

/** Qdrant's answer to a vector of the wrong length. */
function dimensionError(c: Collection, got: number): HttpFailure {
  return new HttpFailure(400, `Wrong input: Vector dimension error: expected dim: ${c.size}, got ${got}`);
}

function refuseNamedVectors(c: Collection): void {
  if (c.named !== undefined)
    throw new HttpFailure(501, 'the fake does not model points of a collection with named vectors', true);
}
