// The fake server's in-memory state: its collections (config, status, points) and the behaviour it was
// started with, shared by the endpoint handlers; plus the snapshots tests read of it.
import { HttpFailure } from './fake-failure.ts';
import type { PointId } from './fake-point-ids.ts';

export type CollectionStatus = 'green' | 'yellow' | 'grey' | 'red';

/** Qdrant's distance functions (the OpenAPI document's `Distance`); the fake scores `Dot` only. */
export type Distance = 'Dot' | 'Cosine' | 'Euclid' | 'Manhattan';

export interface HnswConfig {
  m: number;
  ef_construct: number;
  full_scan_threshold: number;
  max_indexing_threads: number;
  on_disk: boolean;
}

export interface OptimizerConfig {
  deleted_threshold: number;
  vacuum_min_vector_number: number;
  default_segment_number: number;
  max_segment_size: number | null;
  indexing_threshold: number;
  flush_interval_sec: number;
  max_optimization_threads: number | null;
}

export interface StoredPoint {
  readonly id: PointId;
  readonly vector: Float32Array;
  readonly payload: Record<string, unknown>;
  readonly version: number;
  readonly sequence: number;
}

export interface Collection {
  /** 0: payload-only (no vectors configured). */
  readonly size: number;
  readonly distance: Distance;
  readonly onDisk: boolean | undefined;
  /** Named vectors as an operator created them (`vectors: { dense: { size, distance } }`); points not modelled. */
  readonly named?: Record<string, unknown> | undefined;
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

export interface CollectionSnapshot {
  /** Dimension of the unnamed dense vector; 0 for a payload-only collection (created with `vectors: {}`). */
  readonly size: number;
  readonly distance: Distance;
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

/** The options of FakeQdrant that shape how the endpoints answer (see FakeQdrantOptions). */
export interface FakeBehaviour {
  readonly version: string;
  readonly optimizationPolls: number;
  readonly tieOrder: 'reverse-insertion' | 'insertion';
}

export const DEFAULT_HNSW: HnswConfig = {
  m: 16,
  ef_construct: 100,
  full_scan_threshold: 10_000,
  max_indexing_threads: 0,
  on_disk: false,
};
export const DEFAULT_OPTIMIZER: OptimizerConfig = {
  deleted_threshold: 0.2,
  vacuum_min_vector_number: 1000,
  default_segment_number: 0,
  max_segment_size: null,
  indexing_threshold: 20_000,
  flush_interval_sec: 5,
  max_optimization_threads: null,
};

export class FakeState {
  readonly collections = new Map<string, Collection>();

  constructor(readonly behaviour: FakeBehaviour) {}

  /** The collection, or Qdrant's 404 answer. */
  require(name: string): Collection {
    const c = this.collections.get(name);
    if (c === undefined) throw new HttpFailure(404, `Not found: Collection \`${name}\` doesn't exist!`);
    return c;
  }

  /** Collection metadata exists from Qdrant 1.16 on; older servers refuse the field. */
  supportsMetadata(): boolean {
    const [major = 0, minor = 0] = this.behaviour.version.split('.').map(Number);
    return major > 1 || (major === 1 && minor >= 16);
  }

  snapshot(name: string): CollectionSnapshot | undefined {
    const c = this.collections.get(name);
    if (c === undefined) return undefined;
    return {
      size: c.size,
      distance: c.distance,
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

  setStatus(name: string, status: CollectionStatus): void {
    const c = this.collections.get(name);
    if (c === undefined) throw new Error(`fake has no collection "${name}"`);
    c.status = status;
    c.yellowPolls = 0;
  }
}

/** The answer of a write (points or index): `completed` only when the client asked to wait. */
export function updateResult(c: Collection, query: URLSearchParams, version = ++c.operations): unknown {
  return { operation_id: version, status: query.get('wait') === 'true' ? 'completed' : 'acknowledged' };
}
