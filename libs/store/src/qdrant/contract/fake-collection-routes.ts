// The fake's collection endpoints: create, update (settings, merged metadata, the optimizer run it
// triggers), info (status polls turn yellow to green), and payload index creation.
import { HttpFailure, only } from './fake-failure.ts';
import {
  DEFAULT_HNSW,
  DEFAULT_OPTIMIZER,
  updateResult,
  type Collection,
  type Distance,
  type FakeState,
  type HnswConfig,
  type OptimizerConfig,
} from './fake-state.ts';

export function createCollection(state: FakeState, name: string, input: Record<string, unknown>): void {
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
  refuseMetadataUnlessSupported(state, input);
  if (state.collections.has(name))
    throw new HttpFailure(409, `Wrong input: Collection \`${name}\` already exists!`);
  const vectors = vectorConfig(input);
  const hnsw = (input['hnsw_config'] ?? {}) as Partial<HnswConfig>;
  const optimizer = (input['optimizers_config'] ?? {}) as Partial<OptimizerConfig>;
  only(hnsw, Object.keys(DEFAULT_HNSW), 'hnsw_config');
  only(optimizer, Object.keys(DEFAULT_OPTIMIZER), 'optimizers_config');
  state.collections.set(name, {
    size: vectors.size,
    distance: vectors.distance,
    onDisk: vectors.onDisk,
    named: vectors.named,
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

/**
 * The collection's vector: one unnamed vector (`size` > 0), or none (`vectors: {}`, `size` 0). Any of Qdrant's
 * distances is kept (a collection someone else created may have one), but only `Dot` is scored (queryPoints).
 */
function vectorConfig(input: Record<string, unknown>): {
  size: number;
  distance: Distance;
  onDisk: boolean | undefined;
  named?: Record<string, unknown>;
} {
  const vectors = input['vectors'] as Record<string, unknown> | undefined;
  if (vectors !== undefined && isNamedVectors(vectors))
    return { size: 0, distance: 'Dot', onDisk: undefined, named: structuredClone(vectors) };
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
  return {
    size: payloadOnly ? 0 : (vectors['size'] as number),
    distance: payloadOnly ? 'Dot' : (vectors['distance'] as Distance),
    onDisk: vectors['on_disk'] as boolean | undefined,
  };
}

/** `{ name: { size, distance }, ... }`: kept to be reported, as another tool's collection would be. */
function isNamedVectors(vectors: Record<string, unknown>): boolean {
  const entries = Object.values(vectors);
  return (
    vectors['size'] === undefined &&
    entries.length > 0 &&
    entries.every(
      (v) => typeof v === 'object' && v !== null && typeof (v as { size?: unknown }).size === 'number',
    )
  );
}

export function updateCollection(state: FakeState, c: Collection, input: Record<string, unknown>): void {
  only(input, ['hnsw_config', 'optimizers_config', 'params', 'metadata'], 'update');
  refuseMetadataUnlessSupported(state, input);
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
  if (metadata !== undefined && metadata !== null) c.metadata = mergeMetadata(c.metadata, metadata);
  if (reoptimize && c.status !== 'red') {
    c.status = state.behaviour.optimizationPolls > 0 ? 'yellow' : 'green';
    c.yellowPolls = state.behaviour.optimizationPolls;
  }
}

/** Each read is one status poll: a yellow collection turns green after `optimizationPolls` of them. */
export function collectionInfo(state: FakeState, c: Collection): unknown {
  if (c.status === 'yellow') {
    if (c.yellowPolls > 0) c.yellowPolls--;
    else c.status = 'green';
  }
  const indexed =
    c.status === 'green' && c.hnsw.m > 0 && c.optimizer.indexing_threshold > 0 ? c.points.size : 0;
  return {
    status: c.status,
    optimizer_status: c.status === 'red' ? { error: 'injected optimizer failure' } : 'ok',
    indexed_vectors_count: indexed,
    points_count: c.points.size,
    segments_count: c.params.shard_number * 2,
    config: {
      params: {
        vectors:
          c.named !== undefined
            ? c.named
            : c.size === 0
              ? {}
              : {
                  size: c.size,
                  distance: c.distance,
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
      ...(state.supportsMetadata() ? { metadata: c.metadata ?? {} } : {}),
    },
    payload_schema: payloadSchema(c),
    update_queue: { length: 0 },
  };
}

/** Each payload index, with how many points carry its field. */
function payloadSchema(c: Collection): Record<string, unknown> {
  const schema: Record<string, unknown> = {};
  for (const [field, type] of c.payloadIndexes) {
    schema[field] = {
      data_type: type,
      points: [...c.points.values()].filter((p) => p.payload[field] !== undefined).length,
    };
  }
  return schema;
}

export function createFieldIndex(
  c: Collection,
  input: Record<string, unknown>,
  query: URLSearchParams,
): unknown {
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
  return updateResult(c, query);
}

/** Merged into what is stored; a key set to null is removed. */
function mergeMetadata(
  stored: Record<string, unknown> | undefined,
  update: Record<string, unknown>,
): Record<string, unknown> {
  const merged = { ...stored };
  for (const [key, value] of Object.entries(update)) {
    if (value === null) delete merged[key];
    else merged[key] = structuredClone(value);
  }
  return merged;
}

/** Servers before 1.16 know no `metadata` field and refuse a body carrying one. */
function refuseMetadataUnlessSupported(state: FakeState, input: Record<string, unknown>): void {
  if (input['metadata'] !== undefined && !state.supportsMetadata()) {
    throw new HttpFailure(
      400,
      `Format error in JSON body: unknown field \`metadata\` (server ${state.behaviour.version})`,
      true,
    );
  }
}

function withoutNulls<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== null && v !== undefined),
  ) as Partial<T>;
}
