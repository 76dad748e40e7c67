/**
 * What `npm run bench` runs: one entry per area, with the exact commands for a full and a quick run.
 * The orchestrator (bench/run-all.ts) executes these; the report prints them as "to reproduce".
 */

export const AREAS = ['encoder', 'budgets', 'overhead', 'plumbing', 'scale', 'api'] as const;
export type Area = (typeof AREAS)[number];

/** Names `--only` accepts besides the areas themselves. */
export const GROUPS: Record<string, readonly Area[]> = {
  pipeline: ['overhead', 'plumbing', 'scale'],
};

export const AREA_TITLES: Record<Area, string> = {
  encoder: 'Encoder vs peers (CPU)',
  budgets: 'Encoder passages/s vs batch token budget (CPU)',
  overhead: 'Pipeline overhead: end to end vs encoder only',
  plumbing: 'Plumbing ceiling: passages/s per worker process',
  scale: 'Scale: ingest time and memory vs corpus size',
  api: 'API latency: /v1/search under concurrency',
};

/** Results file each area leaves in bench/results (the report reads only these). */
export const RESULT_FILES: Record<Area, string> = {
  encoder: 'encoder.json',
  budgets: 'encoder-budgets.json',
  overhead: 'pipeline-overhead.json',
  plumbing: 'pipeline-plumbing.json',
  scale: 'pipeline-scale.json',
  api: 'api.json',
};

/** Batch token budgets the CPU sweep measures (the encoder's default is 16384). */
export const BUDGETS = { full: [4096, 16384, 65536], quick: [4096, 16384] } as const;
/** Large enough that the token budget, not the batch size, closes every batch. */
export const BUDGET_MAX_BATCH_SIZE = 1024;

/**
 * Quick mode's encoder model: the tiny fixture model (64-d, random weights) instead of the
 * DistilBERT-base-shaped one, which embeds ~1 passage/s on 2 busy cores: a smoke test of every
 * system's plumbing, not a speed figure (the report shows the model it ran).
 */
export const QUICK_MODEL = 'libs/encoder/fixtures/tiny-model';
const QUICK_ENCODER_ARGS = ['--passages', '500', '--model', QUICK_MODEL];

export interface Step {
  /** Script run as `node --import tsx <script> <args>` from the repository root. */
  readonly script: string;
  readonly args: readonly string[];
  /** The sweep's token budget (budgets area only). */
  readonly budget?: number;
  /** Where bench/encoder/run.ts writes its encoder.json for this step (budgets area only). */
  readonly out?: string;
}

export interface PlanOptions {
  readonly quick: boolean;
  /** Overrides the runs per benchmark (default 3, quick 1). */
  readonly runs?: number;
}

export function stepsFor(area: Area, { quick, runs }: PlanOptions): Step[] {
  const n = String(runs ?? (quick ? 1 : 3));
  switch (area) {
    case 'encoder':
      return [{ script: 'bench/encoder/run.ts', args: ['--runs', n, ...(quick ? QUICK_ENCODER_ARGS : [])] }];
    case 'budgets':
      return BUDGETS[quick ? 'quick' : 'full'].map((budget) => {
        const out = `bench/out/budget-${budget}`;
        return {
          script: 'bench/encoder/run.ts',
          budget,
          out,
          args: [
            '--systems',
            'embedline',
            '--runs',
            n,
            ...(quick ? QUICK_ENCODER_ARGS : []),
            '--encoder-options',
            JSON.stringify({ maxBatchTokens: budget, maxBatchSize: BUDGET_MAX_BATCH_SIZE }),
            '--out',
            out,
          ],
        };
      });
    case 'overhead':
      return [
        {
          script: 'bench/pipeline/overhead.ts',
          args: [
            '--runs',
            n,
            ...(quick ? ['--model', QUICK_MODEL, '--passages', '3000', '--shard-size', '500'] : []),
          ],
        },
      ];
    case 'plumbing':
      return [
        {
          script: 'bench/pipeline/plumbing.ts',
          args: ['--runs', n, ...(quick ? ['--passages', '2000'] : [])],
        },
      ];
    case 'scale':
      return [
        {
          script: 'bench/pipeline/scale.ts',
          args: ['--runs', n, ...(quick ? ['--sizes', '1000,2000'] : [])],
        },
      ];
    case 'api':
      // One run per mode and concurrency (the script has no --runs; its modes alternate within the run).
      return [{ script: 'bench/api/run.ts', args: quick ? ['--passages', '5000', '--duration', '3'] : [] }];
  }
}

/** `--only encoder,pipeline` -> the areas, in run order. Unknown names are an error naming them. */
export function selectAreas(only: string | undefined): Area[] {
  if (only === undefined || only.trim() === '') return [...AREAS];
  const wanted = new Set<Area>();
  for (const name of only
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const group = GROUPS[name];
    if (group) group.forEach((a) => wanted.add(a));
    else if ((AREAS as readonly string[]).includes(name)) wanted.add(name as Area);
    else
      throw new Error(
        `--only: unknown area "${name}" (known: ${[...AREAS, ...Object.keys(GROUPS)].join(', ')})`,
      );
  }
  return AREAS.filter((a) => wanted.has(a));
}

/** Shell-quoted, as a user would type it from the repository root. */
export function commandLine(step: Step): string {
  const quote = (arg: string) => (/^[\w./,=:@-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
  return ['npx', 'tsx', step.script, ...step.args].map(quote).join(' ');
}
