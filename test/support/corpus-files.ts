import { writeFileSync } from 'node:fs';

/** A deterministic MS MARCO-style collection.tsv of `count` passages with pids 0..count-1; returns [pid, text] pairs. */
export function writeTsvCorpus(path: string, count: number): [string, string][] {
  const words = ['memory', 'storage', 'digital', 'circuit', 'transistor', 'wave', 'antenna', 'signal', 'computer', 'logic'];
  const entries: [string, string][] = [];
  const lines: string[] = [];
  for (let pid = 0; pid < count; pid++) {
    const length = 5 + ((pid * 7919) % 60);
    const text = Array.from({ length }, (_, i) => words[(pid * 31 + i * 17) % words.length]).join(' ');
    entries.push([String(pid), `${text} passage ${pid}`]);
    lines.push(`${pid}\t${text} passage ${pid}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return entries;
}
