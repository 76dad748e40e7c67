/**
 * The index the API benchmark searches: `passages` Vaswani-derived passages embedded with the
 * benchmark's model into an embedded LanceDB collection, finalized (IVF-PQ index above 10k rows), as
 * an ingest leaves it. Built once per (model, size) under .cache/bench-api/ and reused: a `ready.json`
 * written last marks a complete build, so an interrupted one is rebuilt, never trusted.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Encoder } from '@embedline/encoder';
import { LanceDbStore, toRecordBatch } from '@embedline/store';
import type { BenchModel } from '../pipeline/models.ts';
import { passageTexts } from './texts.ts';

export const COLLECTION = 'bench';
const CHUNK = 4096;

export interface BenchIndex {
  readonly dir: string;
  readonly lancedbUri: string;
  readonly passages: number;
  readonly dimension: number;
  /** Seconds the build took (0 when reused from the cache). */
  readonly buildSeconds: number;
  readonly reused: boolean;
  readonly maxTokens: number | undefined;
}

interface ReadyMarker {
  readonly passages: number;
  readonly dimension: number;
  readonly modelDir: string;
  readonly buildSeconds: number;
}

export async function benchIndex(
  root: string,
  model: BenchModel,
  passages: number,
  threads: number,
  /** Truncate passages to this many tokens when embedding (a big model's index builds faster); undefined: the model's own limit. */
  maxTokens: number | undefined,
  log: (m: string) => void,
): Promise<BenchIndex> {
  const dir = join(
    root,
    '.cache/bench-api',
    `${model.name}-${passages}${maxTokens === undefined ? '' : `-max${maxTokens}tokens`}`,
  );
  const lancedbUri = join(dir, 'lancedb');
  const marker = join(dir, 'ready.json');
  if (existsSync(marker)) {
    const ready = JSON.parse(readFileSync(marker, 'utf8')) as ReadyMarker;
    log(`index: reusing ${dir} (${ready.passages} passages, ${ready.dimension}-d)`);
    return {
      dir,
      lancedbUri,
      passages,
      dimension: ready.dimension,
      buildSeconds: 0,
      reused: true,
      maxTokens,
    };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`index: building ${passages} passages with ${model.name} into ${dir} (once; cached) ...`);
  const started = performance.now();
  const texts = passageTexts(root, passages);
  const encoder = await Encoder.load(
    { modelDir: model.dir, intraOpThreads: threads, maxSeqLength: maxTokens },
    { info: () => undefined, warn: log },
  );
  const store = new LanceDbStore({ uri: lancedbUri });
  try {
    const { dimension } = encoder.describe();
    await store.createCollection(COLLECTION, { dimension });
    for (let from = 0; from < texts.length; from += CHUNK) {
      const chunk = texts.slice(from, from + CHUNK);
      const embedded = await encoder.encode(chunk);
      await store.upsert(
        COLLECTION,
        toRecordBatch({
          ids: chunk.map((_, i) => String(from + i + 1)),
          texts: chunk,
          vectors: embedded.vectors,
          dimension,
        }),
      );
      log(`index: ${Math.min(from + CHUNK, texts.length)}/${texts.length} passages stored`);
    }
    await store.finalize(COLLECTION);
    const buildSeconds = Math.round((performance.now() - started) / 100) / 10;
    const ready: ReadyMarker = { passages, dimension, modelDir: model.dir, buildSeconds };
    writeFileSync(marker, `${JSON.stringify(ready, null, 2)}\n`);
    log(`index: built in ${buildSeconds} s`);
    return { dir, lancedbUri, passages, dimension, buildSeconds, reused: false, maxTokens };
  } finally {
    await store.close();
    await encoder.close();
  }
}
