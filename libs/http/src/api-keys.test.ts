import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ApiKeyring, readApiKeysFile } from './api-keys.ts';

const READ = 'read-key-aaaaaaaaaaaaaaaa';
const ADMIN = 'admin-key-bbbbbbbbbbbbbbbb';

describe('ApiKeyring', () => {
  test('identifies keys by scope; an unknown key or a near miss is nobody', () => {
    const ring = new ApiKeyring({ read: [READ], admin: [ADMIN] });
    assert.equal(ring.identify(READ)?.scope, 'read');
    assert.equal(ring.identify(ADMIN)?.scope, 'admin');
    assert.equal(ring.identify(READ.slice(0, -1)), undefined);
    assert.equal(ring.identify(`${READ}x`), undefined);
    assert.equal(ring.identify(''), undefined);
  });

  test('key ids are stable hash prefixes that do not reveal the key', () => {
    const ring = new ApiKeyring({ read: [READ] });
    const id = ring.identify(READ)!.keyId;
    assert.match(id, /^[0-9a-f]{12}$/);
    assert.equal(ring.identify(READ)!.keyId, id);
    assert.ok(!READ.includes(id));
  });

  test('a key listed as read and admin counts as admin; short keys are refused', () => {
    assert.equal(new ApiKeyring({ read: [ADMIN], admin: [ADMIN] }).identify(ADMIN)?.scope, 'admin');
    assert.throws(
      () => new ApiKeyring({ read: ['short'] }),
      /API key #1 \(read\) is 5 characters; keys need at least 16/,
    );
  });

  test('no keys: not enabled', () => {
    assert.equal(new ApiKeyring({}).enabled, false);
    assert.equal(new ApiKeyring({ admin: [ADMIN] }).hasAdminKeys, true);
  });
});

describe('readApiKeysFile', () => {
  test('reads "<scope> <key>" lines, skipping comments and blanks; a bad line is named without quoting it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedline-keys-'));
    try {
      const path = join(dir, 'keys');
      writeFileSync(path, `# service keys\nread ${READ}\n\nadmin ${ADMIN}\r\n`);
      assert.deepEqual(readApiKeysFile(path), { read: [READ], admin: [ADMIN] });
      writeFileSync(path, `read ${READ}\nwrite secret-value-123456\n`);
      assert.throws(
        () => readApiKeysFile(path),
        (error: Error) =>
          /line 2 is not "<read\|admin> <key>"/.test(error.message) &&
          !error.message.includes('secret-value'),
      );
      assert.throws(() => readApiKeysFile(join(dir, 'missing')), /cannot be read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
