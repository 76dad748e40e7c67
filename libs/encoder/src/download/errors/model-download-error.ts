/**
 * Why a download failed. `offline`, `unauthorized`, `not-found`, `checksum` and `aborted` are never
 * retried; `http` and `network` are, when transient (5xx, 408, 429, dropped connections).
 */
export type ModelDownloadErrorCode =
  'offline' | 'unauthorized' | 'not-found' | 'checksum' | 'http' | 'network' | 'invalid-listing' | 'aborted';

export interface ModelDownloadErrorDetails {
  /** The repo file the failure is about (a path inside the repo such as `onnx/model.onnx`). */
  readonly file?: string;
  readonly url?: string;
  readonly status?: number;
  readonly cause?: unknown;
}

/** Fetching a model from the Hugging Face Hub failed; the message says what, for which repo file, and what to do. */
export class ModelDownloadError extends Error {
  override readonly name = 'ModelDownloadError';
  readonly file: string | undefined;
  readonly url: string | undefined;
  readonly status: number | undefined;

  constructor(
    readonly code: ModelDownloadErrorCode,
    message: string,
    details: ModelDownloadErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.file = details.file;
    this.url = details.url;
    this.status = details.status;
  }
}
