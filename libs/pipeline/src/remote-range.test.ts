import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { RemoteCorpusError } from './errors/remote-corpus-error.ts';
import { checkRemoteCorpus, fetchByteRange, isRemoteCorpus } from './remote-range.ts';

const FILE = Buffer.from('0\tzero\n1\tone\n2\ttwo\n');

/**
 * A loopback server with one behaviour per path: `/ok` honours Range, `/whole` ignores it (200 and
 * the whole file), `/missing` is a 404, `/busy` a 503, `/other-range` answers 206 for bytes it was
 * not asked for, `/short` promises more bytes than it sends.
 */
function startServer(): Promise<Server> {
  const server = createServer((request, response) => {
    const [, from, to] = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '') ?? [];
    const start = Number(from);
    const last = Math.min(Number(to), FILE.length - 1);
    switch (request.url) {
      case '/ok':
        if (start >= FILE.length) {
          response.writeHead(416, { 'content-range': `bytes */${FILE.length}` }).end();
          return;
        }
        response
          .writeHead(206, { 'content-range': `bytes ${start}-${last}/${FILE.length}` })
          .end(FILE.subarray(start, last + 1));
        return;
      case '/whole':
        response.writeHead(200).end(FILE);
        return;
      case '/other-range':
        response.writeHead(206, { 'content-range': `bytes 0-3/${FILE.length}` }).end(FILE.subarray(0, 4));
        return;
      case '/short':
        response.writeHead(206, {
          'content-range': `bytes ${start}-${last}/${FILE.length}`,
          'content-length': last - start + 1,
        });
        response.write(FILE.subarray(start, start + 1));
        response.destroy();
        return;
      case '/busy':
        response.writeHead(503).end();
        return;
      default:
        response.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('fetching a shard range over http', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = await startServer();
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const failsWith = (retryable: boolean, message: RegExp) => (error: unknown) =>
    error instanceof RemoteCorpusError && error.retryable === retryable && message.test(error.message);

  test('a server that honours Range gives exactly the bytes asked for', async () => {
    assert.deepEqual(await fetchByteRange(`${base}/ok`, 7, 13), FILE.subarray(7, 13));
    await checkRemoteCorpus(`${base}/ok`, FILE.length);
  });

  test('a server that ignores Range is refused, not retried, with what to do instead', async () => {
    await assert.rejects(
      fetchByteRange(`${base}/whole`, 7, 13),
      failsWith(false, /ignores Range requests.*200 OK.*--inline/),
    );
    await assert.rejects(
      checkRemoteCorpus(`${base}/whole`, FILE.length),
      failsWith(false, /ignores Range requests/),
    );
  });

  test('the URL serving another file (another size) is caught before anything is enqueued', async () => {
    await assert.rejects(
      checkRemoteCorpus(`${base}/ok`, FILE.length + 1),
      failsWith(
        false,
        new RegExp(`serves a file of ${FILE.length} bytes, but the local corpus has ${FILE.length + 1}`),
      ),
    );
  });

  test('errors that retrying may cure are retryable; the others are not', async () => {
    await assert.rejects(fetchByteRange(`${base}/busy`, 0, 4), failsWith(true, /got HTTP 503/));
    await assert.rejects(
      fetchByteRange(`${base}/short`, 0, 10),
      failsWith(true, /could not fetch|broke off|received 1/),
    );
    await assert.rejects(fetchByteRange(`${base}/missing`, 0, 4), failsWith(false, /got HTTP 404/));
    await assert.rejects(
      fetchByteRange(`${base}/ok`, 100, 120),
      failsWith(false, /past the end of the file \(416\)/),
    );
    await assert.rejects(
      fetchByteRange(`${base}/other-range`, 7, 13),
      failsWith(false, /asked for bytes 7-12, the server sent Content-Range "bytes 0-3\/19"/),
    );
    await assert.rejects(
      fetchByteRange('http://127.0.0.1:1/corpus.tsv', 0, 4),
      failsWith(true, /could not fetch bytes 0-3/),
    );
  });

  test('only http(s) URLs are remote corpora', () => {
    assert.deepEqual(
      [
        'http://host/c.tsv',
        'HTTPS://host/c.tsv',
        '/data/c.tsv',
        'file:///data/c.tsv',
        's3://bucket/c.tsv',
      ].map(isRemoteCorpus),
      [true, true, false, false, false],
    );
  });
});
