import { basename } from 'node:path';
import { QueryFileError } from './errors/query-file-error.ts';
import type { Line } from './line-splitter.ts';
import { readLineChunks } from './lines.ts';
import type { Query } from './query.ts';
import { parseTrecTopics, type TopicField } from './trec-topics.ts';
import { readProblem } from './read-problem.ts';
import { readWholeFile } from './whole-file.ts';

/**
 * Query set formats: `tsv` is MS MARCO's `queries.tsv` (`qid<TAB>text`), `jsonl` one JSON object per
 * line with `id` (or BEIR's `_id`) and `text`, `trec` a TREC topics file (`<top><num>..<title>..`).
 */
export const QUERY_FORMATS = ['tsv', 'tsv.gz', 'jsonl', 'jsonl.gz', 'trec'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

export interface ReadQueriesOptions {
  /** One of QUERY_FORMATS; undefined: tell from the file name. */
  readonly format?: string;
  /** The topic field a TREC topics file's query text comes from (default `title`). */
  readonly topicField?: TopicField;
}

/** File name endings, longest first. TREC topics files often have no ending at all: name the format. */
const ENDINGS: readonly (readonly [string, QueryFormat])[] = [
  ['.tsv.gz', 'tsv.gz'],
  ['.jsonl.gz', 'jsonl.gz'],
  ['.ndjson.gz', 'jsonl.gz'],
  ['.tsv', 'tsv'],
  ['.jsonl', 'jsonl'],
  ['.ndjson', 'jsonl'],
  ['.trec', 'trec'],
];

/**
 * Reads a whole query set, in file order. Query sets are small (MS MARCO dev: 101,093 queries, a few MB),
 * so they are read at once; a malformed line or topic, a repeated id, an id with whitespace (it would
 * shift the columns of the run file) or an empty text is a QueryFileError naming the file and line,
 * never a silently dropped query. Blank lines are skipped.
 */
export async function readQueries(path: string, options: ReadQueriesOptions = {}): Promise<Query[]> {
  const format = queryFormat(path, options.format);
  const queries =
    format === 'trec'
      ? parseTrecTopics(await readText(path), path, options.topicField)
      : await readQueryLines(path, format);
  if (queries.length === 0) throw new QueryFileError(path, 'no queries in the file');
  return queries;
}

/** The format named by `format`, else the one the file name says; a QueryFileError when neither does. */
export function queryFormat(path: string, format?: string): QueryFormat {
  if (format !== undefined) {
    const named = QUERY_FORMATS.find((f) => f === format);
    if (named === undefined) {
      throw new QueryFileError(path, `unknown query format "${format}" (known: ${QUERY_FORMATS.join(', ')})`);
    }
    return named;
  }
  const name = basename(path).toLowerCase();
  const match = ENDINGS.find(([ending]) => name.endsWith(ending));
  if (match === undefined) {
    throw new QueryFileError(
      path,
      `cannot tell the query format from the file name (known endings: ${ENDINGS.map(([e]) => e).join(', ')}); name it with the format option (embedline eval --queries-format): ${QUERY_FORMATS.join(', ')}`,
    );
  }
  return match[1];
}

async function readQueryLines(path: string, format: Exclude<QueryFormat, 'trec'>): Promise<Query[]> {
  const parse = format === 'tsv' || format === 'tsv.gz' ? parseTsvQuery : parseJsonQuery;
  const queries: Query[] = [];
  const firstLines = new Map<string, number>();
  try {
    for await (const chunk of readLineChunks(path, { gzip: format.endsWith('.gz') })) {
      if ('kind' in chunk)
        throw new QueryFileError(path, `gzip stream broken off: ${chunk.message}`, chunk.line);
      for (const line of chunk) {
        if (/^\s*$/.test(line.text) && !line.tooLong) continue;
        const query = checkQuery(path, line, parse(line, path));
        const first = firstLines.get(query.id);
        if (first !== undefined) {
          throw new QueryFileError(
            path,
            `query id ${query.id} repeated (first on line ${first})`,
            line.number,
          );
        }
        firstLines.set(query.id, line.number);
        queries.push(query);
      }
    }
  } catch (error) {
    throw asQueryFileError(path, error);
  }
  return queries;
}

type ParsedQuery = { readonly id: string; readonly text: string };

/** MS MARCO `queries.tsv`: `qid<TAB>text`; the text is everything after the first TAB. */
function parseTsvQuery(line: Line, path: string): ParsedQuery {
  const tab = line.text.indexOf('\t');
  if (tab === -1)
    throw new QueryFileError(path, `no TAB between query id and text: ${quote(line.text)}`, line.number);
  return { id: line.text.slice(0, tab), text: line.text.slice(tab + 1) };
}

/** `{"id": ..., "text": ...}`, or BEIR's `{"_id": ..., "text": ..., "metadata": ...}`; ids may be integers. */
function parseJsonQuery(line: Line, path: string): ParsedQuery {
  const fail = (problem: string) => new QueryFileError(path, problem, line.number);
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (error) {
    throw fail(`invalid JSON (${(error as Error).message}): ${quote(line.text)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(`not a JSON object: ${quote(line.text)}`);
  }
  const record = value as Record<string, unknown>;
  if (record['id'] !== undefined && record['_id'] !== undefined)
    throw fail('has both "id" and "_id": which one is the query id?');
  const id = record['id'] ?? record['_id'];
  if (typeof id === 'number' && Number.isSafeInteger(id))
    return { id: String(id), text: textOf(record['text'], fail) };
  if (typeof id !== 'string')
    throw fail(`"id" (or "_id") must be a string or an integer, got ${JSON.stringify(id) ?? 'nothing'}`);
  return { id, text: textOf(record['text'], fail) };
}

function textOf(text: unknown, fail: (problem: string) => QueryFileError): string {
  if (typeof text !== 'string')
    throw fail(`"text" must be a string, got ${JSON.stringify(text) ?? 'nothing'}`);
  return text;
}

/** Checks every format shares: readable line, an id a run file can hold, a text to embed. */
function checkQuery(path: string, line: Line, parsed: ParsedQuery): Query {
  const fail = (problem: string) => new QueryFileError(path, problem, line.number);
  if (line.tooLong) throw fail('line too long to hold in memory');
  if (!line.validUtf8) throw fail(`not valid UTF-8: ${quote(line.text)}`);
  if (parsed.id === '' || /\s/.test(parsed.id)) {
    throw fail(
      `query id ${JSON.stringify(parsed.id)} is empty or contains whitespace (a run file could not hold it)`,
    );
  }
  if (!/\S/.test(parsed.text)) throw fail(`query ${parsed.id} has no text`);
  return { id: parsed.id, text: parsed.text, line: line.number };
}

async function readText(path: string): Promise<string> {
  const bytes = await readWholeFile(
    path,
    'by-name',
    (problem, cause) => new QueryFileError(path, problem, undefined, { cause }),
  );
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new QueryFileError(path, 'not valid UTF-8');
  }
}

/** File-system errors (from a read or from the line reader's CorpusError) as a QueryFileError. */
function asQueryFileError(path: string, error: unknown): QueryFileError {
  if (error instanceof QueryFileError) return error;
  return new QueryFileError(path, readProblem(error, 'is a folder, not a file'), undefined, { cause: error });
}

function quote(value: string, max = 60): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}
