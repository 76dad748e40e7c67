/**
 * A corpus served over http(s) could not give a shard's bytes. `retryable` says whether trying again
 * later can help (a 5xx, a dropped connection, a short transfer) or not (a server that ignores Range
 * requests, a 404, a file shorter than the shard): a shard job fails at once on the latter.
 */
export class RemoteCorpusError extends Error {
  override readonly name = 'RemoteCorpusError';

  constructor(
    readonly url: string,
    problem: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(`${url}: ${problem}`, options);
  }
}
