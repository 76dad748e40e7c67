import { readFileSync } from 'node:fs';
import { repoPath } from './infra-files.ts';

/** One Dockerfile instruction after line continuations are joined. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

export interface BuildStage {
  readonly from: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

/**
 * A deliberately small Dockerfile reader: enough to check what the tests need (stages, ENV, EXPOSE,
 * ARG, USER, COPY, ENTRYPOINT), not a full BuildKit parser. Comments and `# syntax=` lines are skipped;
 * a trailing backslash continues the instruction on the next line.
 */
export function parseDockerfile(path: string): {
  readonly args: Map<string, string>;
  readonly stages: BuildStage[];
} {
  const lines = readFileSync(repoPath(path), 'utf8').split('\n');
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (pending === undefined && (line === '' || line.startsWith('#'))) return;
    if (pending !== undefined && line.startsWith('#')) return; // comment inside a continued instruction
    const continued = line.endsWith('\\');
    const text = continued ? line.slice(0, -1).trim() : line;
    pending =
      pending === undefined
        ? { text, line: index + 1 }
        : { text: `${pending.text} ${text}`, line: pending.line };
    if (!continued) {
      const match = /^([A-Za-z]+)\s+([\s\S]*)$/.exec(pending.text);
      if (!match) throw new Error(`${path}:${pending.line}: cannot read instruction "${pending.text}"`);
      instructions.push({
        keyword: (match[1] as string).toUpperCase(),
        args: (match[2] as string).trim(),
        line: pending.line,
      });
      pending = undefined;
    }
  });
  if (pending !== undefined)
    throw new Error(`${path}: ends inside a continued instruction (line ${pending.line})`);

  const globalArgs = new Map<string, string>();
  const stages: BuildStage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`${path}:${instruction.line}: cannot read FROM "${instruction.args}"`);
      stages.push({ from: match[1] as string, ...(match[2] ? { name: match[2] } : {}), instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG')
        throw new Error(`${path}:${instruction.line}: ${instruction.keyword} before the first FROM`);
      const [name, value = ''] = instruction.args.split('=', 2) as [string, string?];
      globalArgs.set(name, value);
    } else {
      stages[stages.length - 1]?.instructions.push(instruction);
    }
  }
  return { args: globalArgs, stages };
}

/** ENV's `KEY=value KEY2="value 2"` form (and the legacy `ENV KEY value`), as name -> value. */
export function envOf(instruction: Instruction): Map<string, string> {
  const env = new Map<string, string>();
  if (!instruction.args.includes('=')) {
    const [name, ...rest] = instruction.args.split(/\s+/);
    env.set(name as string, rest.join(' '));
    return env;
  }
  for (const match of instruction.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|'([^']*)'|(\S*))/g)) {
    env.set(match[1] as string, match[3] ?? match[4] ?? match[5] ?? '');
  }
  return env;
}

/** The JSON-array (exec) form of ENTRYPOINT/CMD; the shell form is refused (signals would go to sh). */
export function execForm(instruction: Instruction): string[] {
  const parsed: unknown = JSON.parse(instruction.args);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new Error(`line ${instruction.line}: ${instruction.keyword} is not in exec (JSON array) form`);
  }
  return parsed;
}
