#!/usr/bin/env node
// Runs node's built-in test runner over every *.test.ts below the given folders (default: the whole
// workspace). Node 20 expands no globs and runs nothing when given no files, so the list is built here
// and handed over explicitly; an empty list is an error, never a silent "0 tests".
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const skipped = new Set(['node_modules', 'dist', '.nx', '.cache', 'fixtures', '.git']);

function findTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skipped.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTests(path));
    else if (entry.name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const args = process.argv.slice(2);
const passThrough = args.filter((a) => a.startsWith('--'));
const folders = args.filter((a) => !a.startsWith('--'));
const roots = folders.length > 0 ? folders : ['libs', 'apps', 'test', 'bench'];
const files = roots
  .map((folder) => join(root, folder))
  .filter((path) => statSync(path, { throwIfNoEntry: false })?.isDirectory())
  .flatMap(findTests)
  .sort();

if (files.length === 0) {
  console.log(`no test files below ${roots.join(', ')}`);
  process.exit(folders.length > 0 ? 0 : 1);
}
console.log(`running ${files.length} test files`);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', ...passThrough, ...files.map((f) => relative(root, f))],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
