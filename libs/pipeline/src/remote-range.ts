import { RemoteCorpusError } from './errors/remote-corpus-error.ts';

/** True for the corpus references workers fetch over the network rather than open as a path. */
export function isRemoteCorpus(uri: string): boolean {
  return /^https?:\/\//i.test(uri);
}

/**
 * Fetches bytes [start, end) of a corpus served over http(s) with one Range request.
 *
 * A server that ignores Range (answers 200 with the whole file) is an error, not something to work
 * around: skipping to the shard inside a full download would move the whole corpus once per shard
 * (8.8M passages in ~5k shards: ~15 TB for a 3 GB file). Such a corpus needs `ingest --inline` or a
 * shared path instead, and retrying cannot help, so the error is not retryable.
 */
export async function fetchByteRange(
  url: string,
  start: number,
  end: number,
  fetchImpl: typeof fetch = fetch,
): Promise<Buffer> {
  const wanted = `bytes ${start}-${end - 1}`;
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { Range: `bytes=${start}-${end - 1}` } });
  } catch (error) {
    throw new RemoteCorpusError(url, `could not fetch ${wanted}: ${(error as Error).message}`, true, {
      cause: error,
    });
  }
  if (response.status !== 206) {
    await response.body?.cancel();
    throw statusError(url, wanted, response.status);
  }
  const contentRange = response.headers.get('content-range') ?? '';
  if (!contentRange.startsWith(`${wanted}/`)) {
    await response.body?.cancel();
    throw new RemoteCorpusError(
      url,
      `asked for ${wanted}, the server sent Content-Range "${contentRange}"`,
      false,
    );
  }
  let body: Buffer;
  try {
    body = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    throw new RemoteCorpusError(url, `transfer of ${wanted} broke off: ${(error as Error).message}`, true, {
      cause: error,
    });
  }
  if (body.length !== end - start) {
    throw new RemoteCorpusError(
      url,
      `asked for ${end - start} bytes (${wanted}), received ${body.length}`,
      true,
    );
  }
  return body;
}

/**
 * Before enqueuing range jobs that point at a URL: checks, with a one-byte Range request, that the
 * server honours Range and serves a file of the size the producer read locally (the same corpus), so
 * a wrong URL fails `ingest` at once instead of every shard job later.
 */
export async function checkRemoteCorpus(
  url: string,
  expectedSize: number,
  fetchImpl: typeof fetch = fetch,
): Promise<void> {
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { Range: 'bytes=0-0' } });
  } catch (error) {
    throw new RemoteCorpusError(url, `not reachable: ${(error as Error).message}`, true, { cause: error });
  }
  await response.body?.cancel();
  if (response.status !== 206) throw statusError(url, 'bytes 0-0', response.status);
  const total = Number(/\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1]);
  if (total !== expectedSize) {
    throw new RemoteCorpusError(
      url,
      `serves a file of ${Number.isNaN(total) ? 'unknown size' : `${total} bytes`}, but the local corpus has ${expectedSize}: not the same corpus`,
      false,
    );
  }
}

function statusError(url: string, wanted: string, status: number): RemoteCorpusError {
  if (status === 200) {
    return new RemoteCorpusError(
      url,
      `the server ignores Range requests (asked for ${wanted}, got the whole file with 200 OK); ` +
        'serve the corpus from a server that answers Range requests, put it on a path the workers share, or ingest with --inline',
      false,
    );
  }
  if (status === 416)
    return new RemoteCorpusError(
      url,
      `${wanted} lies past the end of the file (416): the corpus changed since it was ingested`,
      false,
    );
  // Server-side trouble and rate limits pass; a missing file or refused access does not.
  const retryable = status >= 500 || status === 408 || status === 429;
  return new RemoteCorpusError(url, `asked for ${wanted}, got HTTP ${status}`, retryable);
}
