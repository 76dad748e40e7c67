import { QueryFileError } from './errors/query-file-error.ts';
import type { Query } from './query.ts';

/** The topic fields a query text can be taken from. */
export const TOPIC_FIELDS = ['title', 'desc', 'narr'] as const;
export type TopicField = (typeof TOPIC_FIELDS)[number];

/** Any `<tag>` or `</tag>`: in classic TREC topics a field runs until the next tag, closed or not. */
const TAG = /<(\/?)([A-Za-z]+)>/g;
/** The labels classic TREC topics put at the start of a field (`<num> Number: 301`). */
const LABELS: Readonly<Record<string, RegExp>> = {
  num: /^Number:/i,
  title: /^Topic:/i,
  desc: /^Description:/i,
  narr: /^Narrative:/i,
};

interface OpenTopic {
  readonly line: number;
  readonly fields: Map<string, { value: string; line: number }>;
}

interface OpenField {
  readonly name: string;
  readonly line: number;
  readonly start: number;
}

/**
 * Parses a TREC topics file: `<top>` blocks with a `<num>` and the asked field (`<title>` by default).
 * Reads both the classic layout, where a field runs to the next tag (`<num> Number: 301` /
 * `<title> text` / `<desc> Description: ...`), and the closed one the Vaswani collection ships
 * (`<num>1</num><title>\nTEXT\n</title>`). A field's text has its label dropped and its whitespace
 * collapsed. Anything the parser would have to guess at (text outside a topic, an unclosed `<top>`,
 * a topic without a number or without the field, a repeated number) is a QueryFileError naming the line.
 */
export function parseTrecTopics(text: string, path: string, field: TopicField = 'title'): Query[] {
  const queries: Query[] = [];
  const firstLines = new Map<string, number>();
  const lines = new LineCounter(text);
  let topic: OpenTopic | undefined;
  let open: OpenField | undefined;
  let previousEnd = 0;
  const fail = (line: number, problem: string) => new QueryFileError(path, problem, line);
  const closeField = (end: number) => {
    if (open === undefined) return;
    topic!.fields.set(open.name, { value: text.slice(open.start, end), line: open.line });
    open = undefined;
  };

  for (const match of text.matchAll(TAG)) {
    const [tag, slash, rawName] = match as unknown as [string, string, string];
    const name = rawName.toLowerCase();
    const at = match.index;
    const between = text.slice(previousEnd, at);
    if (open === undefined && /\S/.test(between)) {
      const where = topic === undefined ? 'outside <top> ... </top>' : 'inside <top> but in no field';
      throw fail(lines.at(previousEnd + between.search(/\S/)), `text ${where}`);
    }
    previousEnd = at + tag.length;
    const line = lines.at(at);
    if (slash === '/') {
      if (name === 'top' && topic !== undefined) {
        closeField(at);
        const query = finishTopic(topic, field, path);
        const first = firstLines.get(query.id);
        if (first !== undefined) throw fail(line, `topic ${query.id} repeated (first on line ${first})`);
        firstLines.set(query.id, topic.line);
        queries.push(query);
        topic = undefined;
      } else if (open?.name === name) {
        closeField(at);
      } else {
        throw fail(line, `${tag} without a matching <${name}>`);
      }
    } else if (name === 'top') {
      if (topic !== undefined)
        throw fail(line, `<top> inside the topic opened on line ${topic.line} (missing </top>?)`);
      topic = { line, fields: new Map() };
    } else {
      if (topic === undefined) throw fail(line, `${tag} outside <top> ... </top>`);
      closeField(at);
      const seen = topic.fields.get(name);
      if (seen !== undefined) throw fail(line, `second ${tag} in one topic (first on line ${seen.line})`);
      open = { name, line, start: at + tag.length };
    }
  }
  const rest = text.slice(previousEnd);
  if (topic !== undefined) throw fail(topic.line, '<top> is never closed (no </top>)');
  if (/\S/.test(rest)) throw fail(lines.at(previousEnd + rest.search(/\S/)), 'text outside <top> ... </top>');
  if (queries.length === 0)
    throw new QueryFileError(path, 'no <top> topics found: is this a TREC topics file?');
  return queries;
}

function finishTopic(topic: OpenTopic, field: TopicField, path: string): Query {
  const num = topic.fields.get('num');
  if (num === undefined) throw new QueryFileError(path, 'topic has no <num>', topic.line);
  const id = fieldText(num.value, 'num');
  if (id === '' || /\s/.test(id)) {
    throw new QueryFileError(
      path,
      `topic number ${JSON.stringify(id)} is empty or contains whitespace`,
      num.line,
    );
  }
  const wanted = topic.fields.get(field);
  if (wanted === undefined) throw new QueryFileError(path, `topic ${id} has no <${field}>`, topic.line);
  const text = fieldText(wanted.value, field);
  if (text === '') throw new QueryFileError(path, `topic ${id} has an empty <${field}>`, wanted.line);
  return { id, text, line: topic.line };
}

function fieldText(raw: string, name: string): string {
  const collapsed = raw.replace(/\s+/g, ' ').trim();
  const label = LABELS[name];
  return label === undefined ? collapsed : collapsed.replace(label, '').trim();
}

/** 1-based line numbers of offsets, asked in increasing order (one pass over the text in all). */
class LineCounter {
  private offset = 0;
  private line = 1;

  constructor(private readonly text: string) {}

  at(offset: number): number {
    if (offset < this.offset) {
      this.offset = 0;
      this.line = 1;
    }
    for (let i = this.offset; i < offset; i++) if (this.text.charCodeAt(i) === 10) this.line++;
    this.offset = offset;
    return this.line;
  }
}
