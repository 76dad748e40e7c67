import { Piscina } from 'piscina';
import type { TokenizedText } from './text-tokenizer.ts';
import { splitChunk, type TokenizedChunk, type TokenizerWorkerConfig } from './tokenize-task.ts';

const workerFile = new URL('./tokenize-worker.ts', import.meta.url).href;
/** Texts per task: small enough to spread a window over every thread, big enough to amortize the hop. */
const CHUNK_TEXTS = 64;
/** Chunks a thread holds: the next waits in the thread, not on the (possibly busy) calling thread's queue. */
const CHUNKS_PER_THREAD = 2;

/**
 * Tokenizes on worker threads, so that tokenization keeps up with a GPU: one thread tokenizes ~6k
 * passages/s, a GPU embeds several times that. Results are per-text views into the chunks' arrays.
 */
export class TokenizerPool {
  private constructor(private readonly pool: Piscina<readonly string[], TokenizedChunk>) {}

  static async start(config: TokenizerWorkerConfig, threads: number): Promise<TokenizerPool> {
    const pool = new Piscina<readonly string[], TokenizedChunk>({
      filename: workerFile,
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: CHUNKS_PER_THREAD,
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData: {
        tokenizerJson: config.tokenizerJson,
        tokenizerConfig: config.tokenizerConfig,
        maxSeqLength: config.maxSeqLength,
        lowerCaseInput: config.lowerCaseInput,
      } satisfies TokenizerWorkerConfig,
    });
    const tokenizers = new TokenizerPool(pool);
    try {
      await tokenizers.tokenize(['']); // fails here, not on the first real text, if a thread cannot start
    } catch (error) {
      await pool.destroy();
      throw error;
    }
    return tokenizers;
  }

  /** Each text's ids and whether it was cut, in order, as TextTokenizer.tokenize gives them. */
  async tokenize(texts: readonly string[]): Promise<TokenizedText<Int32Array>[]> {
    const chunks: Promise<TokenizedText<Int32Array>[]>[] = [];
    for (let start = 0; start < texts.length; start += CHUNK_TEXTS) {
      const slice = texts.slice(start, start + CHUNK_TEXTS);
      chunks.push(this.pool.run(slice).then((chunk) => splitChunk(chunk, slice.length)));
    }
    return (await Promise.all(chunks)).flat();
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
