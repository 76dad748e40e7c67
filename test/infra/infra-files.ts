import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The repository root and infra/, from this file's place in test/infra/. */
export const REPO_ROOT = new URL('../../', import.meta.url).pathname;
export const INFRA_DIR = join(REPO_ROOT, 'infra');

export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}

/** Every file below `dir` whose name passes `accept`, as paths relative to the repository root, sorted. */
export function listFiles(dir: string, accept: (name: string) => boolean): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (accept(entry.name)) found.push(relative(REPO_ROOT, path));
    }
  };
  walk(dir);
  return found.sort();
}

/**
 * Parses a YAML file into its documents. Any error or warning (duplicate keys, bad indentation, tabs)
 * fails: a manifest that only "mostly" parses is applied differently by different tools. Merge keys
 * (`<<: *anchor`) are resolved, as Docker Compose does.
 */
export function readYamlDocuments(path: string): unknown[] {
  const text = readFileSync(repoPath(path), 'utf8');
  const documents = parseAllDocuments(text, { merge: true, uniqueKeys: true, prettyErrors: true });
  if (!Array.isArray(documents)) throw new Error(`${path}: not a YAML stream`);
  const values: unknown[] = [];
  for (const document of documents) {
    const problems = [...document.errors, ...document.warnings];
    if (problems.length > 0) throw new Error(`${path}: ${problems.map((p) => p.message).join('; ')}`);
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

export function readYaml(path: string): unknown {
  const documents = readYamlDocuments(path);
  if (documents.length !== 1)
    throw new Error(`${path}: expected one YAML document, found ${documents.length}`);
  return documents[0];
}

/** `KEY=value` lines of an env file (`#` comments and blank lines skipped), as docker/kustomize read them. */
export function readEnvFile(path: string): Map<string, string> {
  const entries = new Map<string, string>();
  readFileSync(repoPath(path), 'utf8')
    .split('\n')
    .forEach((line, index) => {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return;
      const eq = trimmed.indexOf('=');
      if (eq <= 0) throw new Error(`${path}:${index + 1}: not a KEY=value line: ${trimmed}`);
      entries.set(trimmed.slice(0, eq), trimmed.slice(eq + 1));
    });
  return entries;
}
