/**
 * Where a process's main thread spent its time, from a V8 CPU profile (`node --cpu-prof`): self
 * time by area (our libs, BullMQ, ioredis, Arrow, LanceDB's JS side, the tokenizer, GC, idle) and
 * the heaviest functions with file:line, self and inclusive. Native work on other threads
 * (onnxruntime, LanceDB's Rust runtime) is not in a JS profile: it shows as the process's CPU
 * time beyond what the profile accounts for.
 *
 *   npx tsx bench/pipeline/profile-summary.ts FILE.cpuprofile [--top 15] [--anchor embedShard]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  readonly children?: number[];
}

interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface FunctionTime {
  /** `name (file:line)`, line 1-based, path relative to the repository. */
  readonly function: string;
  readonly area: string;
  readonly selfMs: number;
  readonly inclusiveMs: number;
}

export interface ProfileSummary {
  readonly file: string;
  /** Time covered: the whole profile, or the window between the first and last sample inside `anchor`. */
  readonly wallMs: number;
  readonly anchor?: string;
  /** Self time per area, busiest first; `(idle)` is the event loop waiting. */
  readonly areas: readonly { area: string; selfMs: number; share: number }[];
  readonly topSelf: readonly FunctionTime[];
  /** Heaviest functions of this repository (libs/, apps/), inclusive of what they call. */
  readonly topOwnInclusive: readonly FunctionTime[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `anchor`: a function name (e.g. embedShard) that marks the work being measured; only samples
 * from its first to its last appearance on the stack count, so process start-up (module loading
 * and TypeScript compilation, a large share of a short profile) and shutdown are left out.
 */
export function summarizeProfile(
  file: string,
  options: { top?: number; anchor?: string } = {},
): ProfileSummary {
  const top = options.top ?? 15;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const [first, last] = anchorWindow(profile, byId, parent, options.anchor);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areaOf = new Map<string, string>();
  const areaSelf = new Map<string, number>();
  let wallMs = 0;
  profile.samples.forEach((id, i) => {
    if (i < first || i > last) return;
    // timeDeltas[i] is the time before sample i; attributing it to sample i is V8's convention.
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    wallMs += ms;
    const node = byId.get(id);
    if (node === undefined) return;
    const key = describe(node);
    const area = classify(node.callFrame.url, node.callFrame.functionName);
    areaOf.set(key, area);
    self.set(key, (self.get(key) ?? 0) + ms);
    areaSelf.set(area, (areaSelf.get(area) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!;
      const frameKey = describe(frame);
      if (seen.has(frameKey)) continue;
      seen.add(frameKey);
      areaOf.set(frameKey, classify(frame.callFrame.url, frame.callFrame.functionName));
      inclusive.set(frameKey, (inclusive.get(frameKey) ?? 0) + ms);
    }
  });
  const entry = (key: string): FunctionTime => ({
    function: key,
    area: areaOf.get(key) ?? '?',
    selfMs: round(self.get(key) ?? 0),
    inclusiveMs: round(inclusive.get(key) ?? 0),
  });
  return {
    file,
    wallMs: round(wallMs),
    anchor: options.anchor,
    areas: [...areaSelf]
      .sort((a, b) => b[1] - a[1])
      .map(([area, ms]) => ({ area, selfMs: round(ms), share: Math.round((1000 * ms) / wallMs) / 1000 })),
    topSelf: [...self.keys()]
      .filter((k) => !k.startsWith('(idle)') && !k.startsWith('(root)'))
      .sort((a, b) => self.get(b)! - self.get(a)!)
      .slice(0, top)
      .map(entry),
    topOwnInclusive: [...inclusive.keys()]
      .filter((k) => areaOf.get(k)?.startsWith('libs/') || areaOf.get(k)?.startsWith('apps/'))
      .sort((a, b) => inclusive.get(b)! - inclusive.get(a)!)
      .slice(0, top)
      .map(entry),
  };
}

function anchorWindow(
  profile: CpuProfile,
  byId: ReadonlyMap<number, ProfileNode>,
  parent: ReadonlyMap<number, number>,
  anchor: string | undefined,
): [number, number] {
  if (anchor === undefined) return [0, profile.samples.length - 1];
  const inside = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      if (byId.get(at)?.callFrame.functionName === anchor) return true;
    }
    return false;
  };
  const first = profile.samples.findIndex(inside);
  if (first < 0) return [0, profile.samples.length - 1];
  return [first, profile.samples.findLastIndex(inside)];
}

function describe(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  if (url === '') return name;
  if (!url.startsWith('file://')) return `${name} (${url}:${lineNumber + 1})`;
  const path = fileURLToPath(url);
  // tsx compiles our TypeScript to a single line: find the function in the source instead.
  const line = path.endsWith('.ts') ? sourceLine(path, name) : lineNumber + 1;
  return `${name} (${relative(ROOT, path)}${line === undefined ? '' : `:${line}`})`;
}

const sources = new Map<string, string[]>();

/** 1-based line of `function name`, `name(` (a method) or `name = (` in a TypeScript source file. */
function sourceLine(path: string, name: string): number | undefined {
  if (name === '(anonymous)' || !/^[A-Za-z_$][\w$]*$/.test(name)) return undefined;
  let lines = sources.get(path);
  if (lines === undefined) {
    try {
      lines = readFileSync(path, 'utf8').split('\n');
    } catch {
      lines = [];
    }
    sources.set(path, lines);
  }
  const declaration = new RegExp(
    `(function\\*?\\s+${name}\\b|^\\s*(export\\s+)?(public\\s+|private\\s+|static\\s+|async\\s+)*\\*?${name}\\s*[(<]|(const|let)\\s+${name}\\s*=)`,
  );
  const index = lines.findIndex((line) => declaration.test(line));
  return index < 0 ? undefined : index + 1;
}

/** The package or part of the repository a frame belongs to. */
function classify(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return '(program: V8/native, not JS)';
    return 'native/builtin';
  }
  if (url.startsWith('node:')) return 'node internals';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
  if (pkg !== undefined) return pkg;
  const own = /\/(libs|apps|bench)\/([^/]+)\//.exec(path);
  if (own !== null) return `${own[1]}/${own[2]}`;
  return 'other';
}

const round = (n: number): number => Math.round(n * 10) / 10;

export function renderProfile(summary: ProfileSummary, label: string): string[] {
  const pct = (ms: number) => `${((100 * ms) / summary.wallMs).toFixed(1)}%`;
  const lines = [
    `#### ${label}: ${(summary.wallMs / 1000).toFixed(1)} s of samples${summary.anchor ? ` (from the first to the last sample inside ${summary.anchor}: start-up and shutdown left out)` : ''}`,
    '',
    `Self time by area: ${summary.areas
      .slice(0, 12)
      .map((a) => `${a.area} ${pct(a.selfMs)}`)
      .join(', ')}`,
    '',
    '| function (self time) | area | self | inclusive |',
    '|---|---|---:|---:|',
    ...summary.topSelf.map((f) => `| ${f.function} | ${f.area} | ${pct(f.selfMs)} | ${pct(f.inclusiveMs)} |`),
    '',
    '| our function (inclusive time) | self | inclusive |',
    '|---|---:|---:|',
    ...summary.topOwnInclusive.map((f) => `| ${f.function} | ${pct(f.selfMs)} | ${pct(f.inclusiveMs)} |`),
  ];
  return lines;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({
    options: { top: { type: 'string', default: '15' }, anchor: { type: 'string' } },
    allowPositionals: true,
  });
  for (const file of positionals) {
    console.log(
      renderProfile(summarizeProfile(file, { top: Number(values.top), anchor: values.anchor }), file).join(
        '\n',
      ) + '\n',
    );
  }
}
