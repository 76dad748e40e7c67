/**
 * Read throughput and peak memory of the line readers (a benchmark, not a test: numbers depend on
 * the machine). Generates a 1M-line MS MARCO-like corpus as TSV, JSONL and TSV.gz in a temp folder,
 * reads each in a fresh child process (so peak RSS is that format's alone) and prints records/s and
 * peak RSS, with and without the duplicate-id registry.
 *
 *   node --import tsx libs/corpus/bench/read-throughput.ts [lines]     (default 1,000,000)
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { openCorpus } from '../src/index.ts';

const WORDS =
  'the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were'.split(
    ' ',
  );

async function measure(path: string, dedupe: boolean): Promise<void> {
  const started = process.hrtime.bigint();
  let accepted = 0;
  let rejected = 0;
  for await (const result of (await openCorpus(path, { dedupe })).read()) {
    if (result.ok) accepted += 1;
    else rejected += 1;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ accepted, rejected, seconds, peakMiB }));
}

async function write(
  path: string,
  lines: number,
  line: (pid: number, text: string) => string,
): Promise<void> {
  const out = createWriteStream(path);
  for (let pid = 0; pid < lines; pid++) {
    // ~60 words (~330 bytes, MS MARCO's mean passage length), deterministic.
    const text = Array.from(
      { length: 40 + (pid % 40) },
      (_, i) => WORDS[(pid * 7 + i * 13) % WORDS.length],
    ).join(' ');
    if (!out.write(line(pid, text))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function main(lines: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'embedline-bench-'));
  try {
    const tsv = join(dir, 'collection.tsv');
    const jsonl = join(dir, 'collection.jsonl');
    const gz = join(dir, 'collection.tsv.gz');
    console.log(`generating ${lines.toLocaleString('en-US')} passages in ${dir} ...`);
    await write(tsv, lines, (pid, text) => `${pid}\t${text}\n`);
    await write(
      jsonl,
      lines,
      (pid, text) => `${JSON.stringify({ id: pid, text, url: `https://example.org/${pid}` })}\n`,
    );
    await pipeline(createReadStream(tsv), createGzip(), createWriteStream(gz));
    const self = fileURLToPath(import.meta.url);
    // MiB/s counts the text read (decompressed for .gz); peak RSS includes Node and tsx (~100 MiB).
    console.log('format      dedupe  file MiB  records/s   MiB/s  peak RSS MiB');
    for (const path of [tsv, jsonl, gz]) {
      for (const dedupe of [true, false]) {
        const output = execFileSync(
          process.execPath,
          ['--import', 'tsx', self, '--measure', path, String(dedupe)],
          { encoding: 'utf8' },
        );
        const { accepted, rejected, seconds, peakMiB } = JSON.parse(output) as {
          accepted: number;
          rejected: number;
          seconds: number;
          peakMiB: number;
        };
        if (accepted !== lines || rejected !== 0)
          throw new Error(`${path}: accepted ${accepted}, rejected ${rejected}`);
        const fileMiB = statSync(path).size / 2 ** 20;
        const textMiB = statSync(path === gz ? tsv : path).size / 2 ** 20;
        console.log(
          `${path.slice(dir.length + 12).padEnd(11)} ${String(dedupe).padEnd(6)} ${fileMiB.toFixed(0).padStart(9)} ` +
            `${Math.round(lines / seconds)
              .toLocaleString('en-US')
              .padStart(
                10,
              )} ${(textMiB / seconds).toFixed(0).padStart(7)} ${peakMiB.toFixed(0).padStart(13)}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--measure') await measure(process.argv[3]!, process.argv[4] === 'true');
else await main(Number(process.argv[2] ?? 1_000_000));
