/**
 * ANN recall of a finalized LanceDB collection against exact search: writes ROWS clustered unit vectors
 * of DIM floats (CLUSTERS gaussian clusters, as embeddings of a real corpus are clustered) in shards of
 * 1,000 rows through the store, finalizes (IVF-PQ index from 10k rows), then asks QUERIES held-out
 * vectors for their top 10 and compares with exact dot-product top 10 computed here. It answers whether
 * the store's index settings (k-means sample, partitions, nprobes, refine) cost recall at a size the
 * unit tests do not reach. SEARCH lists `nprobes:refineFactor` pairs to try on the same finalized table
 * (`default` = the store's defaults). Prints one JSON line per pair; ~3 minutes at 1M x 64-d on 2 cores.
 *
 *   npx tsx bench/store/recall-probe.ts [ROWS=1000000] [DIM=64] [QUERIES=200] [CLUSTERS=1000] [SEARCH=default]
 *   e.g. ... 1000000 64 200 1000 default,100:10,50:50
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LanceDbStore, toRecordBatch } from '@embedline/store';
import { createMatrix, semanticSearch } from '@embedline/scoring';
import { gaussian, normalize, seededRandom } from '@embedline/testing';
import { median } from '../pipeline/results.ts';

const [rows, dim, queries, clusters] = [1_000_000, 64, 200, 1000].map((fallback, i) =>
  Number(process.argv[2 + i] ?? fallback),
) as [number, number, number, number];
const searches = (process.argv[6] ?? 'default').split(',').map(searchSettings);
/** Noise of norm ~0.6 around unit centres: clusters that overlap, as topics of a corpus do. */
const NOISE = 0.6;
const SHARD = 1000;
const K = 10;
const COLLECTION = 'c';

/** Each vector: a random cluster centre plus gaussian noise of norm ~NOISE, normalized. */
function clusteredVectors(count: number, seed: number, centres: Float32Array): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    const centre = Math.floor(random() * clusters);
    const row = out.subarray(i * dim, (i + 1) * dim);
    for (let d = 0; d < dim; d++) row[d] = centres[centre * dim + d]! + (NOISE / Math.sqrt(dim)) * gaussian(random);
    normalize(row);
  }
  return out;
}

/** `default`, or `nprobes:refineFactor` as LanceDbStore options. */
function searchSettings(text: string): { nprobes?: number; refineFactor?: number } {
  if (text === 'default') return {};
  const [nprobes, refineFactor] = text.split(':').map(Number);
  if (!Number.isInteger(nprobes) || !Number.isInteger(refineFactor)) throw new Error(`SEARCH: ${text} is not nprobes:refineFactor`);
  return { nprobes: nprobes!, refineFactor: refineFactor! };
}

const random = seededRandom(7);
const centres = new Float32Array(clusters * dim).map(() => gaussian(random));
for (let c = 0; c < clusters; c++) normalize(centres.subarray(c * dim, (c + 1) * dim));
const all = clusteredVectors(rows, 11, centres);
const dir = join(tmpdir(), `recall-probe-${process.pid}`);
const store = new LanceDbStore({ uri: dir });
try {
  await store.createCollection(COLLECTION, { dimension: dim });
  for (let start = 0; start < rows; start += SHARD) {
    const ids = Array.from({ length: Math.min(SHARD, rows - start) }, (_, i) => String(start + i));
    const vectors = all.subarray(start * dim, (start + ids.length) * dim);
    await store.upsert(COLLECTION, toRecordBatch({ ids, vectors, dimension: dim, texts: ids }), { firstWrite: true });
  }
  const finalizeStarted = Date.now();
  await store.finalize(COLLECTION);
  const finalizeSeconds = (Date.now() - finalizeStarted) / 1000;
  const held = clusteredVectors(queries, 13, centres);
  // Point ids are the row numbers, so exact hits' corpus ids are the ids the store returns.
  const exact = semanticSearch(createMatrix(held, queries, dim), createMatrix(all, rows, dim), { topK: K }).map(
    (hits) => new Set(hits.map((hit) => String(hit.corpusId))),
  );
  const index = await store.vectorIndex(COLLECTION);
  for (const settings of searches) {
    const searcher = new LanceDbStore({ uri: dir, ...settings });
    let found = 0;
    const millis: number[] = [];
    for (let q = 0; q < queries; q++) {
      const started = performance.now();
      const hits = await searcher.search(COLLECTION, held.subarray(q * dim, (q + 1) * dim), { topK: K });
      millis.push(performance.now() - started);
      found += hits.filter((hit) => exact[q]!.has(hit.id)).length;
    }
    await searcher.close();
    const recallAt10 = found / (queries * K);
    // The first queries load the index into the cache: the median is the steady state.
    const medianSearchMs = Number(median(millis).toFixed(2));
    console.log(JSON.stringify({ rows, dim, clusters, queries, index, finalizeSeconds, search: settings, recallAt10, medianSearchMs }));
  }
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
