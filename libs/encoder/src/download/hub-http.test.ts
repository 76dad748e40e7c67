import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelDownloadError } from './errors/index.ts';
import { DEFAULT_RETRY, isRetryable, retryDelayMs } from './hub-http.ts';

test('backoff doubles from the base delay and stops at the maximum', () => {
  const retry = { attempts: 5, baseDelayMs: 500, maxDelayMs: 3_000 };
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => retryDelayMs(n, null, retry)),
    [500, 1_000, 2_000, 3_000],
  );
});

test('Retry-After, in seconds or as an HTTP date, replaces the backoff', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(retryDelayMs(1, '7', DEFAULT_RETRY, now), 7_000);
  assert.equal(retryDelayMs(3, '0', DEFAULT_RETRY, now), 0);
  assert.equal(retryDelayMs(1, 'Wed, 01 Jan 2025 00:00:04 GMT', DEFAULT_RETRY, now), 4_000);
  assert.equal(retryDelayMs(1, '3600', DEFAULT_RETRY, now), DEFAULT_RETRY.maxDelayMs, 'capped');
  assert.equal(retryDelayMs(2, 'soon', DEFAULT_RETRY, now), 1_000, 'unreadable: backoff');
});

test('only transient failures are retried', () => {
  const http = (status: number) => new ModelDownloadError('http', 'x', { status });
  for (const status of [408, 429, 500, 502, 503, 504])
    assert.equal(isRetryable(http(status)), true, String(status));
  assert.equal(isRetryable(http(400)), false);
  assert.equal(isRetryable(new ModelDownloadError('network', 'x')), true);
  for (const code of ['unauthorized', 'not-found', 'checksum', 'offline', 'aborted'] as const) {
    assert.equal(isRetryable(new ModelDownloadError(code, 'x', { status: 500 })), false, code);
  }
  assert.equal(isRetryable(new Error('x')), false);
});
