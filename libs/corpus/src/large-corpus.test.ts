import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { test } from 'node:test';
import { openCorpus } from './open-corpus.ts';
import { tempFiles } from './testing/temp-corpus.ts';

const { dir } = tempFiles();

// Streams a corpus far larger than any one chunk and checks every record arrives once, in order.
// Memory and speed are measured by bench/read-throughput.ts, not here: this machine is shared.
test('streams a generated 200,000-line TSV: every record, in order, with running offsets', async () => {
  const path = `${dir}/large.tsv`;
  const out = createWriteStream(path);
  for (let pid = 0; pid < 200_000; pid++) {
    if (
      !out.write(
        `${pid}\tpassage ${pid}: the quick brown fox jumps over the lazy dog ${'é'.repeat(pid % 7)}\n`,
      )
    )
      await once(out, 'drain');
  }
  await new Promise((resolve) => out.end(resolve));
  let count = 0;
  let offset = 0;
  for await (const result of (await openCorpus(path)).read()) {
    assert.ok(result.ok);
    const { id, text, line, byteOffset } = result.record;
    if (id !== String(count) || line !== count + 1 || byteOffset !== offset)
      assert.fail(`record ${count}: id ${id}, line ${line}, offset ${byteOffset}`);
    offset += Buffer.byteLength(`${id}\t${text}\n`);
    count += 1;
  }
  assert.equal(count, 200_000);
});
