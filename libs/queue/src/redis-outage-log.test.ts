import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { isRedisConnectionError, logRedisOutages, type OutageLog } from './redis-outage-log.ts';

function recorder(): OutageLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn: (fields, message) => lines.push(`warn ${fields.failedAttempts}: ${message}`),
    info: (fields, message) => lines.push(`info ${fields.failedAttempts} ${fields.outageMs} ms: ${message}`),
  };
}

test('an outage is logged once, reminded every reminderMs, and its end said once', () => {
  const client = new EventEmitter();
  const log = recorder();
  let clock = 0;
  const stop = logRedisOutages(client, log, { reminderMs: 60_000, now: () => clock });

  for (let attempt = 0; attempt < 35; attempt++, clock += 300)
    client.emit('error', new Error('ECONNREFUSED'));
  assert.deepEqual(log.lines, [
    'warn 1: redis connection lost; reconnecting (said again every minute while it lasts)',
  ]);

  clock = 61_000;
  client.emit('error', new Error('ECONNREFUSED'));
  client.emit('error', new Error('ECONNREFUSED'));
  assert.equal(log.lines.length, 2);
  assert.equal(log.lines[1], 'warn 36: redis still unreachable after 61 s');

  clock = 70_000;
  client.emit('ready');
  assert.equal(log.lines[2], 'info 37 70000 ms: redis connection restored');

  client.emit('ready'); // a ready without an outage says nothing
  client.emit('error', new Error('ETIMEDOUT')); // a new outage is said again
  assert.equal(log.lines.length, 4);
  assert.match(log.lines[3]!, /^warn 1: redis connection lost/);

  stop();
  client.emit('ready');
  assert.equal(log.lines.length, 4, 'nothing said after stop');
  assert.equal(client.listenerCount('error'), 0);
  assert.equal(client.listenerCount('ready'), 0);
});

test('isRedisConnectionError: a connection refused, lost or closed; not other errors', () => {
  const withCode = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:6379`), { code });
  for (const error of [withCode('ECONNREFUSED'), withCode('ECONNRESET'), new Error('Connection is closed.')])
    assert.equal(isRedisConnectionError(error), true, error.message);
  for (const error of [new Error('Missing key for job 7. moveToFinished'), withCode('ENOSPC')])
    assert.equal(isRedisConnectionError(error), false, error.message);
});
