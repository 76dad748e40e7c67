/**
 * Merge-insert time on `id` as a LanceDB table grows, without and with a BTREE index on `id`
 * (`index`): the index helps only while every fragment is indexed; with unindexed appends merges got
 * 10-25x slower, so the store keeps no id index (see libs/store/README.md, "Appends").
 *
 *   npx tsx bench/store/index-probe.ts [plain|index]
 */
import { rmSync } from 'node:fs';
import { toRecordBatch } from '@embedline/store';
import { toLanceData, tableSchema } from '../../libs/store/src/lancedb/arrow-interop.ts';
import * as lancedb from '@lancedb/lancedb';
const dim = 768,
  rows = 1000,
  text = 'the quick brown fox jumps over the lazy dog '.repeat(8);
const dir = '/tmp/index-probe';
rmSync(dir, { recursive: true, force: true });
const db = await lancedb.connect(dir);
const mk = (b: number) => {
  const ids = Array.from({ length: rows }, (_, i) => String(b * rows + i));
  return toLanceData(
    't',
    dim,
    toRecordBatch({
      ids,
      vectors: new Float32Array(rows * dim).fill(0.01),
      dimension: dim,
      texts: ids.map(() => text),
      payloads: ids.map(() => null),
    }),
  )!;
};
const time = async (label: string, f: () => Promise<unknown>) => {
  const s = performance.now();
  await f();
  console.log(label, (performance.now() - s).toFixed(1), 'ms');
};
const mode = process.argv[2];
const t = await db.createEmptyTable('t', tableSchema(dim));
if (mode === 'index') {
  await t.add(mk(0));
  await t.createIndex('id', { config: lancedb.Index.btree() });
}
let b = 1;
for (const target of [100, 300, 600]) {
  while (b < target) await t.add(mk(b++));
  console.log('batches', target, 'rows', await t.countRows());
  const y = mk(b++);
  await time(' merge 1000 new', () =>
    t.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(y),
  );
  const y2 = mk(b - 1);
  await time(' merge same 1000 again', () =>
    t.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(y2),
  );
  if (mode === 'index') {
    await time(' optimize indices', () => t.optimize({ cleanupOlderThan: new Date() } as never));
    const z = mk(b++);
    await time(' merge 1000 new after', () =>
      t.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(z),
    );
  }
}
