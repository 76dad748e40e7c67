// One writer process of the LanceDB cross-process test:
//   node --import tsx libs/store/src/testing/lancedb-upsert-worker.ts <uri> <collection> <worker> <workers>
// Creates the collection (racing the other workers), writes its shards, prints a JSON summary line.
import { LanceDbStore } from '../lancedb/lancedb-store.ts';
import { CONCURRENT_DIMENSION, workerShards, writeShard } from './concurrent-upserts.ts';

const [uri, collection, workerArg, workersArg] = process.argv.slice(2);
if (uri === undefined || collection === undefined || workerArg === undefined || workersArg === undefined) {
  console.error('usage: lancedb-upsert-worker.ts <uri> <collection> <worker> <workers>');
  process.exit(2);
}
const worker = Number(workerArg);
const store = new LanceDbStore({ uri });
try {
  await store.createCollection(collection, { dimension: CONCURRENT_DIMENSION });
  const shards = workerShards(worker, Number(workersArg));
  for (const shard of shards) await writeShard(store, collection, shard);
  console.log(JSON.stringify({ worker, shards }));
} finally {
  await store.close();
}
