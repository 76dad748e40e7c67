import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the server answered: the Range asked for and how many body bytes went out. */
export interface ServedRequest {
  readonly range?: string;
  readonly status: number;
  readonly bytes: number;
}

/**
 * Serves one file on a loopback port the way a static file server or an object store does: with
 * `honourRange`, a `Range: bytes=a-b` request gets 206 and just those bytes (416 past the end);
 * without it, every request gets 200 and the whole file, as servers without Range support do.
 * Every request is logged, so a test can check what the workers fetched. `honourRange` may be
 * switched while serving (a server reconfigured after `ingest` checked it).
 */
export class RangeServer {
  readonly requests: ServedRequest[] = [];
  private readonly server = createServer((request, response) => this.answer(request, response));

  private constructor(
    private readonly path: string,
    public honourRange: boolean,
  ) {}

  static async serve(path: string, options: { honourRange: boolean }): Promise<RangeServer> {
    const served = new RangeServer(path, options.honourRange);
    await new Promise<void>((resolve) => served.server.listen(0, '127.0.0.1', resolve));
    return served;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/corpus/collection.tsv`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const body = readFileSync(this.path);
    const range = request.headers.range;
    const match = /^bytes=(\d+)-(\d+)$/.exec(range ?? '');
    if (!this.honourRange || !match) {
      this.requests.push({ range, status: 200, bytes: body.length });
      response.writeHead(200, {
        'content-length': body.length,
        'accept-ranges': this.honourRange ? 'bytes' : 'none',
      });
      response.end(body);
      return;
    }
    const start = Number(match[1]);
    const last = Math.min(Number(match[2]), body.length - 1);
    if (start >= body.length || last < start) {
      this.requests.push({ range, status: 416, bytes: 0 });
      response.writeHead(416, { 'content-range': `bytes */${body.length}` });
      response.end();
      return;
    }
    const slice = body.subarray(start, last + 1);
    this.requests.push({ range, status: 206, bytes: slice.length });
    response.writeHead(206, {
      'content-length': slice.length,
      'content-range': `bytes ${start}-${last}/${body.length}`,
    });
    response.end(slice);
  }
}
