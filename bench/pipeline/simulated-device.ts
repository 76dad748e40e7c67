/**
 * How much of an accelerator's rate the pipeline around it keeps, on a host with no accelerator: the
 * no-encoder worker (plumbing-worker.ts) with a simulated device embedding at a fixed rate off the host's cores
 * (simulated-accelerator.ts), through the real Redis, range reads, Arrow and LanceDB, per shards in flight and
 * per way the device shares itself between calls: `fifo` (one call at a time) or `shared` (all calls in hand at
 * once, splitting the rate, as onnxruntime sessions share a GPU). docs/gpu.md, "Measured on one NVIDIA H200".
 *
 *   npx tsx bench/pipeline/simulated-device.ts [--rate 15000] [--concurrency 1,2,4,8] [--sharing fifo,shared]
 *        [--passages 60000] [--shard-size 1000] [--runs 1]
 */
import { parseArgs } from 'node:util';
import { positiveInt } from '../encoder/protocol.ts';
import { abstractsCorpus } from './corpora.ts';
import { runIngest } from './ingest-run.ts';
import {
  CORPUS_DIR,
  ROOT,
  fail,
  fmt,
  logger,
  machineLines,
  median,
  startMachine,
  writeResults,
} from './results.ts';
import { tinyModel } from './models.ts';
import { deviceSharing, type DeviceSharing } from './simulated-accelerator.ts';
import { steadyText } from './steady-rate.ts';

const NAME = 'pipeline-simulated-device';
const HELP = `the pipeline around a simulated accelerator: its rate over the device's, per shards in flight
  --rate N              the device's passages/s (15000)
  --concurrency LIST    shards in flight per worker, comma-separated (1,2,4,8)
  --sharing LIST        fifo (one call at a time) and/or shared (every call in hand at once) (fifo,shared)
  --passages N          corpus size, Vaswani abstracts with distinct ids (60000)
  --shard-size N        passages per shard job (1000)
  --runs N              runs of each cell; medians (1)`;
const log = logger(NAME);
const flags = readFlags();
const machine = startMachine(log);
const corpus = await abstractsCorpus(ROOT, CORPUS_DIR, flags.passages);

interface DeviceRun {
  readonly run: number;
  readonly sharing: DeviceSharing;
  readonly concurrency: number;
  readonly passagesPerSecond: number;
  /** The pipeline's rate over the device's: 1 is a device never kept waiting. */
  readonly keptOfDevice: number;
  /** The same from 10% to 90% stored (steady-rate.ts): without the run's start and tail. */
  readonly steadyKeptOfDevice: number;
}

const runs: DeviceRun[] = [];
for (let run = 1; run <= flags.runs; run++) {
  for (const sharing of flags.sharing) {
    for (const concurrency of flags.concurrency) runs.push(await measure(run, sharing, concurrency));
  }
}

/** One ingest through the no-encoder worker around the simulated device, timed as the other benchmarks time it. */
async function measure(run: number, sharing: DeviceSharing, concurrency: number): Promise<DeviceRun> {
  const result = await runIngest({
    root: ROOT,
    corpus,
    modelDir: tinyModel(ROOT).dir, // not loaded: the stand-in embeds
    workers: 1,
    threads: 1,
    concurrency,
    shardSize: flags.shardSize,
    highWaterMark: 200,
    maxBatchTokens: 16384,
    inline: false,
    skipFinalize: true,
    workerScript: 'bench/pipeline/plumbing-worker.ts',
    extraEnv: {
      BENCH_NULL_DIMENSION: '768',
      BENCH_DEVICE_PASSAGES_PER_SECOND: String(flags.rate),
      BENCH_DEVICE_SHARING: sharing,
    },
    timeoutSeconds: 3600,
    log,
  });
  const keptOfDevice = result.passagesPerSecond / flags.rate;
  const steadyKeptOfDevice = result.steadyPassagesPerSecond / flags.rate;
  log(
    `run ${run}, ${sharing}, ${concurrency} in flight: ${fmt(result.passagesPerSecond)} passages/s ` +
      `(${keptOfDevice.toFixed(3)} of the device; ${steadyText(steadyKeptOfDevice)} in steady state)`,
  );
  return {
    run,
    sharing,
    concurrency,
    passagesPerSecond: result.passagesPerSecond,
    keptOfDevice,
    steadyKeptOfDevice,
  };
}

const cell = (concurrency: number, sharing: DeviceSharing, figure: 'keptOfDevice' | 'steadyKeptOfDevice') =>
  median(runs.filter((r) => r.concurrency === concurrency && r.sharing === sharing).map((r) => r[figure]));
const summary = flags.concurrency.map((concurrency) => ({
  concurrency,
  ...Object.fromEntries(
    flags.sharing.map((sharing) => [sharing, cell(concurrency, sharing, 'keptOfDevice')]),
  ),
  steady: Object.fromEntries(
    flags.sharing.map((sharing) => [sharing, cell(concurrency, sharing, 'steadyKeptOfDevice')]),
  ),
})) as ({ concurrency: number; steady: Partial<Record<DeviceSharing, number>> } & Partial<
  Record<DeviceSharing, number>
>)[];
writeResults(NAME, machine, { ...flags, corpus: corpus.description }, runs, summary, markdown, log);

function markdown(loadAverageAtEnd: number): string {
  return [
    '# Simulated device: how much of an accelerator the pipeline keeps busy',
    '',
    ...machineLines(machine, loadAverageAtEnd),
    `- Device: ${fmt(flags.rate)} passages/s (timers): fifo = one call at a time, shared = every call in hand at once splitting the rate; ${corpus.description}; shards of ${flags.shardSize}; 1 worker; finalize skipped; ${flags.runs} run(s), medians`,
    '',
    `| shards in flight | ${flags.sharing.map((s) => `pipeline / device, ${s} | steady state (10% -> 90% stored), ${s}`).join(' | ')} |`,
    `|---:|${flags.sharing.map(() => '---:|---:').join('|')}|`,
    ...summary.map(
      (row) =>
        `| ${row.concurrency} | ${flags.sharing.map((s) => `${row[s]!.toFixed(3)} | ${steadyText(row.steady[s]!)}`).join(' | ')} |`,
    ),
  ].join('\n');
}

function readFlags() {
  try {
    const { values } = parseArgs({
      options: {
        rate: { type: 'string', default: '15000' },
        concurrency: { type: 'string', default: '1,2,4,8' },
        sharing: { type: 'string', default: 'fifo,shared' },
        passages: { type: 'string', default: '60000' },
        'shard-size': { type: 'string', default: '1000' },
        runs: { type: 'string', default: '1' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) {
      console.log(HELP);
      process.exit(0);
    }
    return {
      rate: positiveInt('rate', values.rate),
      concurrency: values.concurrency.split(',').map((n) => positiveInt('concurrency', n)),
      sharing: values.sharing.split(',').map((mode) => deviceSharing('--sharing', mode)),
      passages: positiveInt('passages', values.passages),
      shardSize: positiveInt('shard-size', values['shard-size']),
      runs: positiveInt('runs', values.runs),
    };
  } catch (error) {
    return fail(NAME, `${(error as Error).message} (see --help)`);
  }
}
