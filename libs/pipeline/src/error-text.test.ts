import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { conciseError, conciseMessage } from './error-text.ts';

/** What LanceDB threw for a shard's write on a full disk (a worker's store folder on a 2 MiB tmpfs). */
const DISK_FULL =
  'Failed to execute merge insert: GenericFailure, lance error: LanceError(IO): No space left on device (os error 28), ' +
  '/usr/local/cargo/registry/src/index.crates.io-1949cf8c6b5b557f/lance-file-8.0.0/src/writer.rs:389:9  ' +
  'Caused by: LanceError(IO): No space left on device (os error 28), ' +
  '/usr/local/cargo/registry/src/index.crates.io-1949cf8c6b5b557f/lance-file-8.0.0/src/writer.rs:389:9    ' +
  'Caused by: No space left on device (os error 28)';

describe('conciseMessage', () => {
  test("LanceDB's source locations and causes repeated per layer go; what happened stays", () => {
    assert.equal(
      conciseMessage(DISK_FULL),
      'Failed to execute merge insert: GenericFailure, lance error: LanceError(IO): No space left on device (os error 28)',
    );
  });

  test('a cause that says something new is kept', () => {
    assert.equal(
      conciseMessage('write failed, /src/a.rs:1:2 Caused by: permission denied'),
      'write failed; caused by: permission denied',
    );
  });

  test('other messages are left as they are', () => {
    for (const message of [
      'store unavailable (simulated outage, upsert 3)',
      'connect ECONNREFUSED 127.0.0.1:6379',
      'path/to/file.rs is fine',
    ]) {
      assert.equal(conciseMessage(message), message);
    }
  });
});

describe('conciseError', () => {
  test('a plain Error with a LanceDB message becomes one with the concise message, the original as its cause', () => {
    const original = new Error(DISK_FULL);
    const concise = conciseError(original) as Error;
    assert.match(concise.message, /No space left on device \(os error 28\)$/);
    assert.equal(concise.cause, original);
  });

  test('errors of other classes (BullMQ reads some) and messages with nothing to cut are the same error', () => {
    const typed = new RangeError(DISK_FULL);
    assert.equal(conciseError(typed), typed);
    const plain = new Error('store unavailable');
    assert.equal(conciseError(plain), plain);
  });
});
