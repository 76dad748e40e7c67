import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { ModelLoadError } from '../errors/model-load-error.ts';
import { describeIssues } from '../zod-issues.ts';

/** Reads and validates one JSON file of a model folder; every failure names the file. */
export function readModelJson<T extends z.ZodType>(dir: string, file: string, schema: T): z.infer<T> {
  const path = join(dir, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ModelLoadError(path, 'missing or unreadable', { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(path, `not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ModelLoadError(path, `unexpected content: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}
