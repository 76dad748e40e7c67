// Reading a whole collection back, batch by batch, in the shape the pipeline wrote it.
import type { EmbeddedRows } from '../embedded-batch.ts';
import type { OpenTable } from './table-handles.ts';

/** Every stored point (id, vector, text, payload) in store order, batch by batch. */
export async function* scanTable({ table, dimension }: OpenTable): AsyncGenerator<EmbeddedRows> {
  const query = table.query().select(['id', 'vector', 'text', 'payload']);
  for await (const batch of query) {
    const ids = (batch.getChild('id')?.toArray() ?? []) as string[];
    const texts = (batch.getChild('text')?.toArray() ?? []) as string[];
    const payloads = (batch.getChild('payload')?.toArray() ?? []) as (string | null)[];
    const vectors = new Float32Array(ids.length * dimension);
    const column = batch.getChild('vector');
    for (let i = 0; i < ids.length; i++) vectors.set(column?.get(i).toArray() as Float32Array, i * dimension);
    yield {
      ids,
      texts,
      vectors,
      dimension,
      payloads: payloads.map((p) =>
        p === null || p === undefined ? null : (JSON.parse(p) as Record<string, unknown>),
      ),
    };
  }
}
