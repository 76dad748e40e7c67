/**
 * Corpus reading speed and memory, per format openCorpus reads (bench/README.md, "Outside run-all.ts"):
 *
 *   npx tsx bench/corpus/read.ts                          # 100k and 1M passages, every format: ~5 min on 2 cores (+ ~4 to make the corpora)
 *   npx tsx bench/corpus/read.ts --sizes 100000 --formats tsv,parquet-zstd   # a quick look
 *
 * Corpora: MS MARCO-like passages (numeric ids 0..N-1 in order, 40-80 words drawn with a seeded PRNG from the
 * Vaswani abstracts' vocabulary, ~60 words, ~540 bytes), written once per size under .cache/bench/corpus/
 * (gitignored) as TSV and JSONL (and their .gz) here, and as Arrow IPC (uncompressed, LZ4, ZSTD) and Parquet
 * (snappy, zstd) by pyarrow (tools/bench/corpus_tables.py), record batches / row groups of --batch-rows rows.
 *
 * Per format and size, each in a fresh process (bench/corpus/read-child.ts), one at a time: `openCorpus().read()`
 * alone, and `planShards` as the producer runs it (shards of --shard-size, inline, and by byte range where the
 * format is seekable); passages/s and the process's peak RSS (getrusage). The peer: pyarrow reading the same file
 * into a Table, then every id and text to a Python object (tools/bench/corpus_tables.py read), passages/s to each and
 * peak RSS; our read rate is printed as a ratio of both.
 * The 1-minute load average is kept with every figure: the machine may be shared.
 *
 * Writes bench/results/<--name>.json (default corpus-read) and bench/out/<name>.md, as the pipeline benchmarks do,
 * and copies the table to bench/results/<name>.md.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  renameSync,
} from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { seededRandom } from '@embedline/testing';
import { readTrecAbstracts } from '../encoder/passages.ts';
import { COLLECTION_TREC, writeLines } from '../pipeline/corpora.ts';
import {
  ROOT,
  fail,
  fmt,
  logger,
  machineLines,
  median,
  startMachine,
  writeResults,
  loadAverage1,
} from '../pipeline/results.ts';
import { positiveInt } from '../encoder/protocol.ts';
import { round1 } from '../pipeline/memory-sampler.ts';

const NAME = 'corpus-read';
const log = logger(NAME);

/** Every format openCorpus reads but TREC (MS MARCO has no TREC copy), with the file suffix and the peer's reader. */
const FORMATS = {
  tsv: { suffix: 'tsv', peer: 'tsv', seekable: true },
  'tsv.gz': { suffix: 'tsv.gz', peer: 'tsv.gz', seekable: false },
  jsonl: { suffix: 'jsonl', peer: 'jsonl', seekable: true },
  'jsonl.gz': { suffix: 'jsonl.gz', peer: 'jsonl.gz', seekable: false },
  arrow: { suffix: 'arrow', peer: 'arrow', seekable: false },
  'arrow-lz4': { suffix: 'lz4.arrow', peer: 'arrow', seekable: false },
  'arrow-zstd': { suffix: 'zstd.arrow', peer: 'arrow', seekable: false },
  'parquet-snappy': { suffix: 'snappy.parquet', peer: 'parquet', seekable: false },
  'parquet-zstd': { suffix: 'zstd.parquet', peer: 'parquet', seekable: false },
} as const;
type FormatKey = keyof typeof FORMATS;
const MODES = ['read', 'plan-inline', 'plan-range'] as const;
type Mode = (typeof MODES)[number];

const HELP = `npx tsx bench/corpus/read.ts [flags]
  --sizes N,N         corpus sizes in passages (default 100000,1000000)
  --formats a,b       of ${Object.keys(FORMATS).join(', ')} (default all)
  --modes a,b         of ${MODES.join(', ')} (default all; plan-range only where the format is seekable)
  --runs N            runs per measurement, median kept (default 1)
  --shard-size N      planShards' shard size (default 1000, the producer's)
  --batch-rows N      Arrow record batch / Parquet row group rows (default 65536, pyarrow's feather chunksize)
  --python PATH       a Python with pyarrow 26 (default $EMBEDLINE_BENCH_PYTHON, tools/.venv/bin/python, /tmp/tokvenv/bin/python)
  --no-peer           skip the pyarrow peer
  --cache DIR         where the corpora are kept (default .cache/bench/corpus)
  --name NAME         results name (default ${NAME})
  --profile DIR       also write a --cpu-prof profile of each of our processes to DIR
  --max-old-space MB  run our processes with node --max-old-space-size=MB: a read that finishes at every size
                      under the same small bound keeps bounded live memory (RSS alone also shows GC slack)`;

interface Measurement {
  readonly format: FormatKey;
  readonly passages: number;
  readonly system: Mode | 'pyarrow' | 'baseline';
  readonly run: number;
  readonly records: number;
  readonly seconds: number;
  readonly passagesPerSecond: number;
  readonly peakRssMiB: number;
  readonly cpuSeconds?: number;
  readonly shards?: number;
  /** pyarrow only: passages/s to the Table and on to every id and text as a Python object. */
  readonly toPythonPassagesPerSecond?: number;
  readonly load1: number;
}

function parse() {
  try {
    return parseFlags();
  } catch (error) {
    return fail(NAME, (error as Error).message);
  }
}

function parseFlags() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '100000,1000000' },
      formats: { type: 'string', default: Object.keys(FORMATS).join(',') },
      modes: { type: 'string', default: MODES.join(',') },
      runs: { type: 'string', default: '1' },
      'shard-size': { type: 'string', default: '1000' },
      'batch-rows': { type: 'string', default: '65536' },
      python: { type: 'string' },
      'no-peer': { type: 'boolean', default: false },
      cache: { type: 'string', default: join(ROOT, '.cache/bench/corpus') },
      name: { type: 'string', default: NAME },
      profile: { type: 'string' },
      'max-old-space': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const list = <T extends string>(flag: string, text: string, allowed: readonly T[]): T[] =>
    text.split(',').map((item) => {
      if (!allowed.includes(item as T)) fail(NAME, `--${flag}: unknown ${item} (${allowed.join(', ')})`);
      return item as T;
    });
  const python =
    values.python ??
    process.env.EMBEDLINE_BENCH_PYTHON ??
    [join(ROOT, 'tools/.venv/bin/python'), '/tmp/tokvenv/bin/python'].find((p) => existsSync(p));
  if (python === undefined)
    fail(NAME, 'no Python with pyarrow: pass --python (tools/reference/requirements.txt)');
  return {
    sizes: values.sizes.split(',').map((s) => positiveInt('sizes', s)),
    formats: list('formats', values.formats, Object.keys(FORMATS) as FormatKey[]),
    modes: list('modes', values.modes, MODES),
    runs: positiveInt('runs', values.runs),
    shardSize: positiveInt('shard-size', values['shard-size']),
    batchRows: positiveInt('batch-rows', values['batch-rows']),
    python,
    peer: !values['no-peer'],
    cache: values.cache,
    name: values.name,
    profile: values.profile,
    maxOldSpace:
      values['max-old-space'] === undefined
        ? undefined
        : positiveInt('max-old-space', values['max-old-space']),
  };
}

const mib = (kib: number): number => round1(kib / 1024);

/** The corpus's texts, in order: 40-80 words from the Vaswani vocabulary, a seeded PRNG, the same for every size. */
function passageMaker(): () => string {
  const words = [...new Set(readTrecAbstracts(join(ROOT, COLLECTION_TREC)).join(' ').split(' '))].filter(
    (w) => w !== '' && !w.includes('\t'),
  );
  const random = seededRandom(20261129);
  return () => {
    const n = 40 + Math.floor(random() * 41);
    const out: string[] = [];
    for (let k = 0; k < n; k++) out.push(words[Math.floor(random() * words.length)]!);
    return out.join(' ');
  };
}

async function gzipFile(from: string, to: string): Promise<void> {
  await pipeline(createReadStream(from), createGzip(), createWriteStream(`${to}.partial`));
  renameSync(`${to}.partial`, to);
}

/** Every format's file for `count` passages under `dir`, made where missing; returns the paths. */
async function ensureCorpora(
  dir: string,
  count: number,
  formats: readonly FormatKey[],
  python: string,
  batchRows: number,
): Promise<Record<FormatKey, string>> {
  mkdirSync(dir, { recursive: true });
  const prefix = join(dir, `marco-like-${count}`);
  const path = (key: FormatKey) => `${prefix}.${FORMATS[key].suffix}`;
  const tsv = path('tsv');
  // The TSV is the source of every other copy (pyarrow reads it), so it is made whatever --formats says.
  // Each file draws the same texts: passageMaker starts its seeded PRNG afresh.
  const lines = {
    tsv: (id: number, text: string) => `${id}\t${text}`,
    jsonl: (id: number, text: string) => JSON.stringify({ id: String(id), text }),
  };
  for (const key of ['tsv', 'jsonl'] as const) {
    if (existsSync(path(key))) continue;
    log(`writing ${count.toLocaleString('en-US')} passages as ${path(key)}`);
    const next = passageMaker();
    await writeLines(path(key), count, (id) => lines[key](id, next()));
  }
  for (const key of ['tsv.gz', 'jsonl.gz'] as const) {
    if (formats.includes(key) && !existsSync(path(key))) {
      log(`gzipping ${path(key)}`);
      await gzipFile(path(key === 'tsv.gz' ? 'tsv' : 'jsonl'), path(key));
    }
  }
  const tables: FormatKey[] = ['arrow', 'arrow-lz4', 'arrow-zstd', 'parquet-snappy', 'parquet-zstd'];
  if (tables.some((key) => formats.includes(key) && !existsSync(path(key)))) {
    log(`writing Arrow IPC and Parquet copies with pyarrow (${batchRows} rows per batch / row group)`);
    const done = spawnSync(
      python,
      ['tools/bench/corpus_tables.py', 'write', tsv, prefix, String(batchRows)],
      {
        cwd: ROOT,
        stdio: 'inherit',
      },
    );
    if (done.status !== 0) fail(NAME, `tools/bench/corpus_tables.py write failed (exit ${done.status})`);
  }
  return Object.fromEntries(Object.keys(FORMATS).map((key) => [key, path(key as FormatKey)])) as Record<
    FormatKey,
    string
  >;
}

function runJson(command: string, args: readonly string[]): Record<string, number> {
  const done = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (done.status !== 0)
    fail(NAME, `${command} ${args.join(' ')} failed (exit ${done.status}):\n${done.stderr}`);
  const last = done.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as Record<string, number>;
}

function ours(
  mode: Mode | 'baseline',
  path: string,
  shardSize: number,
  profile: string | undefined,
  maxOldSpace: number | undefined,
) {
  const flags = [
    ...(profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profile]),
    ...(maxOldSpace === undefined ? [] : [`--max-old-space-size=${maxOldSpace}`]),
  ];
  return runJson(process.execPath, [
    ...flags,
    '--import',
    'tsx',
    'bench/corpus/read-child.ts',
    mode,
    path,
    String(shardSize),
  ]);
}

async function main(): Promise<void> {
  const options = parse();
  const machine = startMachine(log);
  const measurements: Measurement[] = [];
  const save = (print: boolean) => {
    const summary = summarize(measurements, options.sizes, options.formats);
    writeResults(
      options.name,
      machine,
      {
        sizes: options.sizes,
        formats: options.formats,
        modes: options.modes,
        runs: options.runs,
        shardSize: options.shardSize,
        batchRows: options.batchRows,
        maxOldSpaceMiB: options.maxOldSpace ?? null,
        corpus:
          'MS MARCO-like: numeric ids 0..N-1 in order, 40-80 words (~60) from the Vaswani vocabulary, seeded',
        peer: options.peer ? `pyarrow ${pyarrowVersion(options.python)} into a Table` : 'none',
      },
      measurements,
      summary,
      (loadAtEnd) => markdown(summary, options, machineLines(machine, loadAtEnd)),
      log,
      print,
    );
  };

  const baseline = ours('baseline', '', options.shardSize, undefined, options.maxOldSpace);
  measurements.push({
    format: 'tsv',
    passages: 0,
    system: 'baseline',
    run: 1,
    records: 0,
    seconds: baseline.seconds!,
    passagesPerSecond: 0,
    peakRssMiB: mib(baseline.maxRssKiB!),
    load1: loadAverage1(),
  });
  for (const size of options.sizes) {
    const paths = await ensureCorpora(
      options.cache,
      size,
      options.formats,
      options.python,
      options.batchRows,
    );
    for (const format of options.formats) {
      const path = paths[format];
      for (let run = 1; run <= options.runs; run++) {
        const systems: (Mode | 'pyarrow')[] = options.modes.filter(
          (mode) => mode !== 'plan-range' || FORMATS[format].seekable,
        );
        if (options.peer) systems.push('pyarrow');
        for (const system of systems) {
          const load = loadAverage1();
          const figures =
            system === 'pyarrow'
              ? runJson(options.python, ['tools/bench/corpus_tables.py', 'read', FORMATS[format].peer, path])
              : ours(system, path, options.shardSize, options.profile, options.maxOldSpace);
          const records = system === 'pyarrow' ? figures.rows! : figures.records!;
          if (records !== size) fail(NAME, `${system} read ${records} of ${size} passages from ${path}`);
          const m: Measurement = {
            format,
            passages: size,
            system,
            run,
            records,
            seconds: Math.round(figures.seconds! * 1000) / 1000,
            passagesPerSecond: Math.round(records / figures.seconds!),
            peakRssMiB: mib(figures.maxRssKiB!),
            ...(figures.cpuSeconds === undefined ? {} : { cpuSeconds: figures.cpuSeconds }),
            ...(figures.shards ? { shards: figures.shards } : {}),
            ...(figures.secondsToPython === undefined
              ? {}
              : { toPythonPassagesPerSecond: Math.round(records / figures.secondsToPython) }),
            load1: load,
          };
          measurements.push(m);
          log(
            `${format} ${size} ${system} run ${run}: ${fmt(m.passagesPerSecond)} passages/s, peak RSS ${fmt(m.peakRssMiB)} MiB (load ${load})`,
          );
        }
      }
      save(false);
    }
  }
  save(true);
  // The table is kept beside the JSON (bench/out is not committed), as the GPU results are.
  copyFileSync(
    join(ROOT, 'bench/out', `${options.name}.md`),
    join(ROOT, 'bench/results', `${options.name}.md`),
  );
}

function pyarrowVersion(python: string): string {
  const done = spawnSync(python, ['-c', 'import pyarrow; print(pyarrow.__version__)'], { encoding: 'utf8' });
  return done.stdout.trim() || 'unknown';
}

type Key = `${FormatKey}|${number}|${string}`;
interface Cell {
  readonly passagesPerSecond: number;
  readonly peakRssMiB: number;
  readonly load1: number;
  readonly toPythonPassagesPerSecond?: number;
}
const ratio = (a: number, b: number): number => Math.round((a / b) * 1000) / 1000;

function medians(measurements: readonly Measurement[]) {
  const groups = new Map<Key, Measurement[]>();
  for (const m of measurements) {
    if (m.system === 'baseline') continue;
    const key: Key = `${m.format}|${m.passages}|${m.system}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const out = new Map<Key, Cell>();
  for (const [key, ms] of groups)
    out.set(key, {
      passagesPerSecond: median(ms.map((m) => m.passagesPerSecond)),
      peakRssMiB: median(ms.map((m) => m.peakRssMiB)),
      load1: median(ms.map((m) => m.load1)),
      ...(ms[0]!.toPythonPassagesPerSecond === undefined
        ? {}
        : { toPythonPassagesPerSecond: median(ms.map((m) => m.toPythonPassagesPerSecond!)) }),
    });
  return out;
}

function summarize(
  measurements: readonly Measurement[],
  sizes: readonly number[],
  formats: readonly FormatKey[],
) {
  const table = medians(measurements);
  const rows = [];
  for (const format of formats)
    for (const size of sizes) {
      const get = (system: string) => table.get(`${format}|${size}|${system}`);
      const read = get('read');
      const peer = get('pyarrow');
      if (read === undefined && get('plan-inline') === undefined) continue;
      rows.push({
        format,
        passages: size,
        read,
        planInline: get('plan-inline'),
        planRange: get('plan-range'),
        pyarrow: peer,
        readVsPyarrow: read && peer ? ratio(read.passagesPerSecond, peer.passagesPerSecond) : undefined,
        readVsPyarrowToPython:
          read && peer?.toPythonPassagesPerSecond
            ? ratio(read.passagesPerSecond, peer.toPythonPassagesPerSecond)
            : undefined,
      });
    }
  // Memory growth from the smallest to the largest size, per format and system: flat means a few MiB.
  const growth = [];
  const [small, large] = [Math.min(...sizes), Math.max(...sizes)];
  if (small !== large)
    for (const format of formats)
      for (const system of [...MODES, 'pyarrow']) {
        const a = table.get(`${format}|${small}|${system}`);
        const b = table.get(`${format}|${large}|${system}`);
        if (a && b)
          growth.push({
            format,
            system,
            fromMiB: a.peakRssMiB,
            toMiB: b.peakRssMiB,
            growthMiB: round1(b.peakRssMiB - a.peakRssMiB),
          });
      }
  const baseline = measurements.find((m) => m.system === 'baseline');
  return {
    baselinePeakRssMiB: baseline?.peakRssMiB,
    rows,
    peakRssGrowth: { fromPassages: small, toPassages: large, rows: growth },
  };
}

const times = (x: number | undefined): string => (x === undefined ? '-' : `${fmt(x, 2)}x`);

function markdown(
  summary: ReturnType<typeof summarize>,
  options: ReturnType<typeof parse>,
  machine: readonly string[],
): string {
  const cell = (m: Cell | undefined) =>
    m === undefined ? '-' : `${fmt(m.passagesPerSecond)} / ${fmt(m.peakRssMiB)} MiB (${m.load1})`;
  const lines = [
    `## Corpus reading: passages/s and peak RSS per format`,
    '',
    ...machine,
    `- Corpus: MS MARCO-like passages (numeric ids in order, 40-80 words, ~60); Arrow batches / Parquet row groups of ${fmt(options.batchRows)} rows; shards of ${fmt(options.shardSize)}; ${options.runs} run(s), median`,
    `- Each cell: passages/s / peak RSS of a fresh process (load average, 1 min, when it started). A process that imports and does nothing peaks at ${fmt(summary.baselinePeakRssMiB ?? NaN)} MiB`,
    `- pyarrow: reads the file into a Table (C++, its own threads; a memory-mapped uncompressed Arrow file is hardly read at all), then turns every id and text into a Python object ("+ to Python", passages/s to the last one); ratios: our read()'s passages/s over each`,
    ...(options.maxOldSpace === undefined
      ? []
      : [`- Our processes ran with --max-old-space-size=${options.maxOldSpace}`]),
    '',
    '| format | passages | read() | planShards inline | planShards by range | pyarrow Table | pyarrow + to Python | read() vs pyarrow Table | vs + to Python |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...summary.rows.map(
      (r) =>
        `| ${r.format} | ${fmt(r.passages)} | ${cell(r.read)} | ${cell(r.planInline)} | ${cell(r.planRange)} | ${cell(r.pyarrow)} | ${r.pyarrow?.toPythonPassagesPerSecond === undefined ? '-' : fmt(r.pyarrow.toPythonPassagesPerSecond)} | ${times(r.readVsPyarrow)} | ${times(r.readVsPyarrowToPython)} |`,
    ),
  ];
  if (summary.peakRssGrowth.rows.length > 0) {
    lines.push(
      '',
      `Peak RSS, ${fmt(summary.peakRssGrowth.fromPassages)} -> ${fmt(summary.peakRssGrowth.toPassages)} passages (MiB):`,
      '',
      '| format | read() | planShards inline | planShards by range | pyarrow |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...options.formats.map((format) => {
        const g = (system: string) => {
          const r = summary.peakRssGrowth.rows.find((x) => x.format === format && x.system === system);
          return r === undefined
            ? '-'
            : `${fmt(r.fromMiB)} -> ${fmt(r.toMiB)} (${r.growthMiB >= 0 ? '+' : ''}${fmt(r.growthMiB, 1)})`;
        };
        return `| ${format} | ${g('read')} | ${g('plan-inline')} | ${g('plan-range')} | ${g('pyarrow')} |`;
      }),
    );
  }
  return lines.join('\n');
}

await main();
