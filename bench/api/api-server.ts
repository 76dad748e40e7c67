import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { ServerSettings } from './server.ts';

export interface ServerTotals {
  readonly inferenceCalls: number;
  readonly inferenceTexts: number;
  /** Summed time of the inference calls (tokenize, infer, pool; the micro-batcher's wait excluded). */
  readonly inferenceSeconds: number;
  readonly storeSearches: number;
  readonly storeSeconds: number;
  /** Memory-index search calls, their summed time and the query vectors they searched. */
  readonly memorySearches: number;
  readonly memorySeconds: number;
  readonly memoryQueries: number;
  /** Points the memory index holds now. */
  readonly residentPoints: number;
}

/** The API in a child process (bench/api/server.ts), with its own micro-batch settings. */
export class ApiServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(root: string, settings: ServerSettings): Promise<ApiServer> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/api/server.ts'], {
      cwd: root,
      env: { ...process.env, BENCH_API_SETTINGS: JSON.stringify(settings) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`the API server exited (code ${String(code)}) before listening`);
    });
    const listening = (async () => {
      for await (const line of createInterface({ input: child.stdout! })) {
        const url = /^listening (\S+)/.exec(line)?.[1];
        if (url !== undefined) return url;
      }
      throw new Error('the API server closed its output before listening');
    })();
    const url = await Promise.race([listening, exited]);
    exited.catch(() => undefined);
    return new ApiServer(child, url);
  }

  /**
   * Running totals from the server's /metrics: inference calls and the texts and seconds they took, and
   * store searches and their seconds. Differences across a run say where a request's time went.
   */
  async totals(): Promise<ServerTotals> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    /** Sum of the samples of `name` whose labels contain `labels` (all of them when empty). */
    const value = (name: string, labels = '') =>
      [...text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))]
        .filter((m) => (m[1] ?? '').includes(labels))
        .reduce((sum, m) => sum + Number(m[2]), 0);
    return {
      inferenceCalls: value('embedline_api_encoder_batch_texts_count'),
      inferenceTexts: value('embedline_api_encoder_batch_texts_sum'),
      inferenceSeconds: value('embedline_api_encoder_batch_duration_seconds_sum'),
      storeSearches: value('embedline_api_store_duration_seconds_count', 'operation="search"'),
      storeSeconds: value('embedline_api_store_duration_seconds_sum', 'operation="search"'),
      memorySearches: value('embedline_api_store_duration_seconds_count', 'operation="memory-search"'),
      memorySeconds: value('embedline_api_store_duration_seconds_sum', 'operation="memory-search"'),
      memoryQueries: value('embedline_api_search_batch_queries_sum'),
      residentPoints: value('embedline_api_memory_index_points'),
    };
  }

  /** Waits until the memory index holds the collection (it loads in the background after a first search). */
  async waitResident(readKey: string, timeoutMs = 300_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.drain(readKey);
      const { residentPoints } = await this.totals();
      if (residentPoints > 0) return residentPoints;
      if (Date.now() > deadline) throw new Error(`the memory index did not load the collection in ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /**
   * Waits until the requests a finished autocannon run left queued in the server have been answered:
   * autocannon stops counting at the deadline, but the server still works through what it accepted,
   * and that work must not spill into the next (other server's) run. Encoding is first come, first
   * served, so one more search answered means the queue ahead of it is done.
   */
  async drain(readKey: string): Promise<void> {
    const response = await fetch(`${this.url}/v1/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': readKey },
      body: JSON.stringify({ query: 'drain', top_k: 1 }),
    });
    if (!response.ok) throw new Error(`drain search failed: ${response.status} ${await response.text()}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exited;
  }
}
