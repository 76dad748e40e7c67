import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PLOTS, buildReport, writeReport } from './render.ts';
import type { RunLog } from './results.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/results', import.meta.url));
const NOW = new Date('2026-11-27T06:00:00.000Z');
const MACHINE = {
  cpuModel: 'Report Host CPU',
  logicalCores: 2,
  memoryGiB: 8,
  os: 'Linux',
  node: '20.20.2',
  loadAverageAtStart: 0.1,
};
const temps: string[] = [];
after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A results folder holding the named fixture files (all of them by default). */
function resultsWith(files?: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  temps.push(dir);
  if (files === undefined) cpSync(FIXTURES, dir, { recursive: true });
  else for (const f of files) cpSync(join(FIXTURES, f), join(dir, f));
  return dir;
}

const build = (resultsDir: string) => buildReport({ resultsDir, now: NOW, machine: MACHINE });

/** The markdown between "## <title>" and the next "## ". */
function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  assert.notEqual(start, -1, `no section "${title}"`);
  const end = markdown.indexOf('\n## ', start + 4);
  return markdown.slice(start, end === -1 ? undefined : end);
}

const summaryRow = (markdown: string, area: string): string => {
  const row = section(markdown, 'Summary')
    .split('\n')
    .find((l) => l.startsWith(`| ${area}`));
  assert.ok(row, `no summary row for "${area}"`);
  return row;
};

describe('buildReport with every area present', () => {
  const { markdown, plots } = build(resultsWith());

  it('computes the encoder medians from the raw runs and the ratios against the peers of the same run', () => {
    const s = section(markdown, 'Encoder vs peers (CPU)');
    // runs 10/12/11 s -> median 11 s -> 200/11 passages/s; peers' medians 33 s and 22 s
    assert.match(
      s,
      /\| embedline \(ours\) \| 10\.00 \/ 12\.00 \/ 11\.00 \| 11\.00 \| 18\.2 \| 1,364 \| 3\.00x \| 2\.00x \| 2\.0e-6 \|/,
    );
    assert.match(
      s,
      /\| sentence-transformers \| 30\.00 \/ 33\.00 \/ 36\.00 \| 33\.00 \| 6\.1 \| .* \| 1\.00x \| 0\.67x \|/,
    );
    assert.match(
      s,
      /Test CPU 9000, 8 logical cores \(4 physical\), 31\.2 GiB RAM, Linux 6\.1, Node 20\.20\.2; load average 0\.5 at start/,
    );
    assert.match(
      summaryRow(markdown, 'encoder vs sentence-transformers'),
      /3\.00x passages\/s \| >= 1\.5x \| \*\*PASS\*\*/,
    );
    assert.match(
      summaryRow(markdown, 'encoder vs transformers.js'),
      /2\.00x passages\/s \| >= 1\.3x \| \*\*PASS\*\*/,
    );
    assert.match(summaryRow(markdown, 'encoder outputs'), /2\.0e-6 \| < 1\.0e-4 \| \*\*PASS\*\*/);
  });

  it('sorts the budget sweep and compares each budget with the smallest', () => {
    const s = section(markdown, 'Encoder passages/s vs batch token budget (CPU)');
    const rows = s.split('\n').filter((l) => /^\| [\d,]+ \|/.test(l));
    assert.deepEqual(
      rows.map((r) => r.split('|')[1]!.trim()),
      ['4,096', '16,384'],
    );
    assert.match(rows[0]!, /\| 9\.1 \| 682 \| 10\.0% \| 1\.00x \|$/);
    assert.match(rows[1]!, /\| 10\.00 \/ 10\.00 \/ 11\.00 \| 20\.0 \| 1,500 \| 20\.0% \| 2\.20x \|$/);
  });

  it('gives the pipeline medians, ratios and verdicts', () => {
    assert.match(
      section(markdown, 'Pipeline overhead: end to end vs encoder only'),
      /\| pipeline, end to end \| 95\.0 \/ 80\.0 \/ 99\.0 \| 95\.0 \| 0\.95x \|/,
    );
    assert.match(summaryRow(markdown, 'pipeline end to end'), /0\.95x \| >= 0\.9x \| \*\*PASS\*\*/);
    const plumbing = section(markdown, 'Plumbing ceiling: passages/s per worker process');
    assert.match(
      plumbing,
      /\| pipeline, tiny model \(64-d\) \| 25,000 \/ 21,000 \/ 30,000 \| 25,000 \| 41\.67x \|/,
    );
    assert.match(plumbing, /\| encoder only, nano model \| 2,000 \/ 2,500 \/ 3,000 \| 2,500 \| 4\.17x \|/);
    assert.match(
      summaryRow(markdown, 'plumbing, nano model'),
      /12,000 passages\/s \| >= 20,000 \| \*\*MISS\*\*/,
    );
    assert.match(
      summaryRow(markdown, 'plumbing, no encoder'),
      /45,000 passages\/s \| >= 20,000 \| \*\*PASS\*\*/,
    );
    const scale = section(markdown, 'Scale: ingest time and memory vs corpus size');
    assert.match(scale, /\| 1,000 \| 2 \| 11\.0 \| 92 \| 181 \| 231 \|/);
    assert.match(scale, /\| 2,000 \| 2 \| 21\.0 \| 95 \| 181 \| 241 \|/);
    assert.match(
      summaryRow(markdown, 'scale: passages/s'),
      /1\.04x \| >= 0\.8x \(linear time\) \| \*\*PASS\*\*/,
    );
  });

  it('reads the API rows, medians per mode and concurrency, and the micro-batching ratio at 64', () => {
    const s = section(markdown, 'API latency: /v1/search under concurrency');
    assert.match(s, /\| batched \| 64 \| 310\.0 \| 205\.0 \| 405\.0 \| 2\.95x \|/);
    assert.match(s, /\| one-at-a-time \| 64 \| 105\.0 \| 605\.0 \| 905\.0 \| 1\.00x \|/);
    assert.match(summaryRow(markdown, 'API micro-batching'), /2\.95x requests\/s \| >= 2x \| \*\*PASS\*\*/);
  });

  it('shows the newest GPU results, labelled as measured elsewhere, and names the older ones', () => {
    const s = section(markdown, 'GPU encoder (measured elsewhere)');
    assert.match(
      s,
      /\*\*Measured elsewhere\*\*, not by this run: `bench\/results\/gpu-h100\.json`, written 2026-11-27T04:30:00\.000Z on NVIDIA H100/,
    );
    assert.match(s, /Older GPU results also in bench\/results: gpu-old\.json/);
    assert.match(s, /\| tiny reference model \| fp32 \(TF32\) \| 200 \| 1\.7e-4 \|/);
    assert.match(s, /\| tiny reference model \| fp32 \| 200 \| 1\.0e-7 \|/);
    assert.match(s, /sentence-transformers with fp16 weights, batch 256: 2,500 passages\/s; Embedline's best fp16 row is \*\*9\.60x\*\*/);
    assert.match(
      summaryRow(markdown, 'GPU fp16 passages/s (NVIDIA H100 80GB HBM3'),
      /24,000 \| >= 20,000 \(one H100\) \| \*\*PASS\*\*/,
    );
  });

  it('draws all four plots as SVG, with one polyline per multi-point series', () => {
    assert.deepEqual(plots.map((p) => p.file).toSorted(), PLOTS.map((p) => p.file).toSorted());
    for (const plot of plots) {
      assert.match(plot.svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.ok(plot.svg.trimEnd().endsWith('</svg>'));
      assert.ok(markdown.includes(`![${plot.alt}](${plot.file})`), `${plot.file} is not shown in the report`);
    }
    const api = plots.find((p) => p.file === 'plot-api-latency.svg')!.svg;
    assert.equal(api.match(/<polyline /g)?.length, 4); // 2 modes x p50/p99
    assert.ok(api.includes('one-at-a-time, p99'));
    const gpu = plots.find((p) => p.file === 'plot-budget-gpu.svg')!.svg;
    assert.equal(gpu.match(/<polyline /g)?.length, 2); // fp32 and fp16, two budgets each
    assert.ok(gpu.includes('>16,384<') && gpu.includes('>65,536<'));
  });

  it('says how to reproduce each area', () => {
    assert.match(
      section(markdown, 'Encoder vs peers (CPU)'),
      /```sh\nnpx tsx bench\/encoder\/run\.ts --runs 3\n```/,
    );
    assert.match(markdown, /npm run bench:report/);
  });
});

describe('buildReport with areas missing or failed', () => {
  it('reports every area as not run when there are no results, and draws no plot', () => {
    const { markdown, plots } = build(resultsWith([]));
    assert.equal(plots.length, 0);
    for (const area of [
      'Encoder vs peers (CPU)',
      'Pipeline overhead',
      'API latency',
      'GPU encoder (measured elsewhere)',
    ]) {
      assert.match(summaryRow(markdown, area), /not run: .*\| not run \|$/);
    }
    assert.match(markdown, /- latency vs concurrency: \*\*not drawn\*\*: no bench\/results\/api\.json/);
    assert.match(markdown, /the report was generated on Report Host CPU, 2 logical cores/);
  });

  it("gives a run's failure reasons, and labels older results as older", () => {
    const dir = resultsWith(['encoder.json', 'pipeline-scale.json']);
    const runLog: RunLog = {
      benchmark: 'bench-run',
      schemaVersion: 1,
      startedAt: '2026-11-27T05:30:00.000Z',
      finishedAt: '2026-11-27T05:40:00.000Z',
      quick: true,
      runs: 1,
      machine: { ...MACHINE, cpuModel: 'Run Host CPU' },
      areas: [
        {
          area: 'encoder',
          status: 'failed',
          reason: 'sentence-transformers exited with 1',
          commands: [],
          startedAt: '2026-11-27T05:30:00.000Z',
          seconds: 5,
        },
        {
          area: 'api',
          status: 'absent',
          reason: 'bench/api/run.ts does not exist',
          commands: [],
          startedAt: '2026-11-27T05:31:00.000Z',
          seconds: 0,
        },
        { area: 'scale', status: 'ok', commands: [], startedAt: '2026-11-27T05:00:00.000Z', seconds: 61 },
      ],
    };
    writeFileSync(join(dir, 'bench-run.json'), JSON.stringify(runLog));
    const { markdown } = build(dir);
    assert.match(markdown, /\*\*QUICK MODE\*\*/);
    assert.match(markdown, /This run \(`npm run bench`, 2026-11-27T05:30:00\.000Z .*Run Host CPU/);
    assert.match(summaryRow(markdown, 'API latency'), /not run: bench\/api\/run\.ts does not exist/);
    assert.match(markdown, /- latency vs concurrency: \*\*not drawn\*\*: bench\/api\/run\.ts does not exist/);
    const encoder = section(markdown, 'Encoder vs peers (CPU)');
    assert.match(encoder, /\*\*Not run\*\* in the last `npm run bench`: sentence-transformers exited with 1/);
    assert.match(
      encoder,
      /The results below are older \(written 2026-11-27T05:00:00\.000Z\), not from that run/,
    );
    assert.match(
      summaryRow(markdown, 'Encoder vs peers (CPU)'),
      /not run in the last `npm run bench`: sentence-transformers exited with 1/,
    );
    assert.match(
      section(markdown, 'Scale: ingest time and memory vs corpus size'),
      /Ran in the last `npm run bench` \(2026-11-27T05:00:00\.000Z, 61 s\)/,
    );
    assert.match(
      section(markdown, 'Encoder vs peers (CPU)'),
      /npx tsx bench\/encoder\/run\.ts --runs 1 --passages 500 --model libs\/encoder\/fixtures\/tiny-model/,
    );
    // an area the quick run did not select is reproduced with the full defaults
    assert.match(
      section(markdown, 'Pipeline overhead: end to end vs encoder only'),
      /```sh\nnpx tsx bench\/pipeline\/overhead\.ts --runs 3\n```/,
    );
  });

  it('names a results file that lacks the expected fields instead of failing the whole report', () => {
    const dir = resultsWith(['pipeline-overhead.json']);
    writeFileSync(join(dir, 'encoder.json'), JSON.stringify({ generatedAt: '2026-11-27T05:00:00.000Z' }));
    writeFileSync(join(dir, 'api.json'), '{ not json');
    const { markdown } = build(dir);
    assert.match(
      summaryRow(markdown, 'Encoder vs peers (CPU)'),
      /does not have the expected shape \(no "systems" in the results\)/,
    );
    assert.match(summaryRow(markdown, 'API latency'), /bench\/results\/api\.json is unreadable/);
    assert.match(summaryRow(markdown, 'pipeline end to end'), /\*\*PASS\*\*/);
  });
});

describe('writeReport', () => {
  it('writes the markdown and the plots next to it, and removes plots it could not draw this time', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-report-out-'));
    temps.push(out);
    await writeReport(build(resultsWith()), join(out, 'REPORT.md'));
    for (const plot of PLOTS) assert.ok(existsSync(join(out, plot.file)), plot.file);
    assert.match(readFileSync(join(out, 'REPORT.md'), 'utf8'), /^# Embedline benchmark report/);

    await writeReport(build(resultsWith(['pipeline-scale.json'])), join(out, 'REPORT.md'));
    assert.ok(existsSync(join(out, 'plot-scale.svg')));
    assert.ok(!existsSync(join(out, 'plot-api-latency.svg')), 'a stale plot was left beside the report');
  });
});

describe('scale results with finalize in a worker of its own', () => {
  it("reports the finalize worker's peak as its own target, beside the embedding workers'", async () => {
    const { scaleSection } = await import('./pipeline-sections.ts');
    const results = JSON.parse(readFileSync(join(FIXTURES, 'pipeline-scale.json'), 'utf8')) as {
      runs: { size: number; finalizerPeakRssMiB?: number }[];
    };
    for (const run of results.runs) run.finalizerPeakRssMiB = run.size === results.runs[0]!.size ? 300 : 450;
    const section = scaleSection(results);
    const lines = section.lines.join('\n');
    assert.match(lines, /Finalize ran in a worker of its own/);
    assert.match(lines, /\| finalize worker peak RSS MiB \|/);
    const finalize = section.headlines.find((h) => h.area.startsWith('scale: finalize worker peak RSS'));
    assert.equal(finalize?.figure, '1.50x');
    assert.match(finalize?.verdict ?? '', /MISS/);
    assert.ok(section.headlines.some((h) => h.area.startsWith('scale: embedding worker peak RSS')));
  });
});
