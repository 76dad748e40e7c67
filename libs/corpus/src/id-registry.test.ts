import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '@embedline/testing';
import { fnv1a64, IdRegistry } from './id-registry.ts';

describe('fnv1a64', () => {
  test('matches the published FNV-1a 64 test vectors, over UTF-8', () => {
    assert.equal(fnv1a64('a'), 0xaf63dc4c8601ec8cn);
    assert.equal(fnv1a64('foobar'), 0x85944171f73967e8n);
    assert.equal(fnv1a64(''), 0xcbf29ce484222325n);
    // Multi-byte characters hash as their UTF-8 bytes, as a byte-level FNV would.
    const bytes = (s: string) => {
      let h = 0xcbf29ce484222325n;
      for (const b of Buffer.from(s, 'utf8')) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
      return h;
    };
    for (const s of ['é', '日本語', 'doc-😀-1', 'MARCO_D123', '\u07ff\u0800\uffff'])
      assert.equal(fnv1a64(s), bytes(s), s);
  });
});

describe('IdRegistry', () => {
  test('says when an id is new, and where it was first seen when it is not', () => {
    const registry = new IdRegistry();
    assert.equal(registry.add('7', 1), undefined);
    assert.equal(registry.add('doc-a', 2), undefined);
    assert.equal(registry.add('8', 3), undefined);
    assert.equal(registry.add('7', 4), 1);
    assert.equal(registry.add('doc-a', 5), 2);
    assert.equal(registry.add('8', 6), 3);
    assert.equal(registry.size, 3);
    // Decimal-looking ids that are not canonical are other ids.
    assert.equal(registry.add('07', 7), undefined);
    assert.equal(registry.add(' 7', 8), undefined);
    assert.equal(registry.size, 5);
  });

  test('agrees with an exact Map on a mix of in-order, out-of-order, huge, sparse and string ids', () => {
    const next = seededRandom(42);
    const registry = new IdRegistry();
    const oracle = new Map<string, number>();
    let line = 0;
    let sequential = 0;
    for (let i = 0; i < 60_000; i++) {
      line += next() < 0.1 ? 2 : 1; // a skipped line now and then breaks the runs
      const pick = next();
      let id: string;
      if (pick < 0.4) id = String((sequential += next() < 0.8 ? 1 : 3));
      else if (pick < 0.6)
        id = String(Math.floor(next() * 20_000)); // repeats and out-of-order ids
      else if (pick < 0.7) id = String(Math.floor(next() * Number.MAX_SAFE_INTEGER));
      else if (pick < 0.8)
        id = String(2 ** 30 + Math.floor(next() * 1000)); // far beyond the bitset
      else id = `doc-${Math.floor(next() * 20_000)}`;
      const unknown = next() < 0.05;
      const expected = oracle.get(id);
      assert.equal(registry.add(id, unknown ? 0 : line), expected, `id ${id} at step ${i}`);
      if (expected === undefined) oracle.set(id, unknown ? 0 : line);
    }
    assert.equal(registry.size, oracle.size);
  });

  test('keeps MS MARCO-shaped ids (pid = line - 1) in a bitset: 1M pids in ~128 KiB', () => {
    const registry = new IdRegistry();
    for (let pid = 0; pid < 1_000_000; pid++) registry.add(String(pid), pid + 1);
    assert.equal(registry.size, 1_000_000);
    assert.ok(registry.byteSize < 200_000, `byteSize ${registry.byteSize}`);
    assert.equal(registry.add('123456', 2_000_000), 123_457);
    assert.equal(registry.add('999999', 2_000_001), 1_000_000);
  });

  test('does not grow the bitset for a few huge ids', () => {
    const registry = new IdRegistry();
    registry.add('9007199254740991', 1);
    registry.add('4503599627370496', 2);
    assert.ok(registry.byteSize < 100_000, `byteSize ${registry.byteSize}`);
    assert.equal(registry.add('9007199254740991', 3), 1);
  });
});
