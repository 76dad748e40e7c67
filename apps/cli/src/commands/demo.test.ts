import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadEnv } from '@embedline/config';
import { BUNDLED_REFERENCE_MODEL_DIR } from '@embedline/encoder';
import { demoCommand, runDemo, type DemoOutput } from './demo.ts';

// The reference model has random weights: rankings mean nothing, so the tests check what holds for any
// model: a document's own text is its nearest neighbour (score 1), scores come best first, bad records
// are reported and the good ones still embedded.
const dir = mkdtempSync(join(tmpdir(), 'embedline-demo-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = loadEnv({ EMBEDLINE_MODEL_DIR: BUNDLED_REFERENCE_MODEL_DIR, LOG_LEVEL: 'warn' });

function capture(): DemoOutput & { results: string[]; progressLines: string[] } {
  const results: string[] = [];
  const progressLines: string[] = [];
  return {
    results,
    progressLines,
    result: (line) => results.push(line),
    progress: (line) => progressLines.push(line),
  };
}

const DOCS = [
  ['d1', 'the dielectric constant of liquids measured with microwaves'],
  ['d2', 'a survey of transistor amplifier noise at low frequencies'],
  ['d3', 'electron beams focused by magnetic lenses in vacuum tubes'],
  ['d4', 'ferrite cores as memory elements in digital computers'],
];

function trecCorpus(name: string, extra = ''): string {
  const path = join(dir, name);
  const docs = DOCS.map(([id, text]) => `<DOC>\n<DOCNO>${id}</DOCNO>\n${text}\n</DOC>`).join('\n');
  writeFileSync(path, `${docs}\n${extra}`);
  return path;
}

describe('embedline demo', () => {
  test('finds a document by its own text, best score first, and prints the top k', async () => {
    const output = capture();
    const corpus = trecCorpus('docs.trec');
    const hits = await runDemo(DOCS[2]![1]!, { corpus, topK: 3 }, env, output);
    assert.equal(hits.length, 3);
    assert.equal(hits[0]!.id, 'd3');
    assert.ok(Math.abs(hits[0]!.score - 1) < 1e-5, `self-similarity ${hits[0]!.score}`);
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1]!.score >= hits[i]!.score);
    const printed = output.results.filter((line) => /^\s+\d+\. /.test(line));
    assert.equal(printed.length, 3);
    assert.match(printed[0]!, /^ {2}1\. 1\.0000 {2}\[d3\] electron beams/);
    assert.ok(output.progressLines.includes(`read 4 documents from ${corpus} (trec, 0 rejected)`));
    assert.ok(output.progressLines.some((line) => line.startsWith('embedded 4/4 passages')));
  });

  test('reports each bad record with its line and embeds the good ones', async () => {
    const output = capture();
    const corpus = trecCorpus('with-bad.trec', '<DOC>\n<DOCNO>d5</DOCNO>\n</DOC>\n<DOC>\nno id\n</DOC>\n');
    const hits = await runDemo(DOCS[0]![1]!, { corpus, topK: 10 }, env, output);
    assert.deepEqual(hits.map((hit) => hit.id).sort(), ['d1', 'd2', 'd3', 'd4']);
    assert.equal(hits[0]!.id, 'd1');
    assert.ok(
      output.progressLines.some((line) => /with-bad\.trec:\d+: skipped: document d5 has no text/.test(line)),
    );
    assert.ok(output.progressLines.some((line) => /with-bad\.trec:\d+: skipped: no <DOCNO>/.test(line)));
    assert.ok(output.progressLines.includes(`read 4 documents from ${corpus} (trec, 2 rejected)`));
  });

  test('reads every corpus format ingest reads: TSV, BEIR JSONL (_id, title), a named format', async () => {
    const tsv = join(dir, 'collection.tsv');
    writeFileSync(tsv, DOCS.map(([id, text]) => `${id!.slice(1)}\t${text}\n`).join(''));
    const beir = join(dir, 'corpus.jsonl');
    writeFileSync(
      beir,
      DOCS.map(([id, text]) => `${JSON.stringify({ _id: id, title: '', text })}\n`).join(''),
    );
    const unnamed = join(dir, 'collection');
    writeFileSync(unnamed, DOCS.map(([id, text]) => `${id!.slice(1)}\t${text}\n`).join(''));
    // MS MARCO TSV ids are decimal: d2 is 2 there.
    for (const [corpus, format, shown, id] of [
      [tsv, undefined, 'tsv', '2'],
      [beir, undefined, 'jsonl', 'd2'],
      [unnamed, 'tsv', 'tsv', '2'],
    ] as const) {
      const output = capture();
      const hits = await runDemo(DOCS[1]![1]!, { corpus, format, topK: 2 }, env, output);
      assert.equal(hits[0]!.id, id, corpus);
      assert.ok(output.progressLines.includes(`read 4 documents from ${corpus} (${shown}, 0 rejected)`));
    }
    await assert.rejects(
      runDemo('x', { corpus: unnamed, topK: 2 }, env, capture()),
      /cannot tell the format/,
    );
  });

  test('--title-field embeds title + " " + text, as ingest does; a TSV corpus is refused', async () => {
    const beir = join(dir, 'titled.jsonl');
    const title = 'Microwave measurements';
    writeFileSync(
      beir,
      DOCS.map(
        ([id, text]) => `${JSON.stringify({ _id: id, title: id === 'd1' ? title : '', text })}\n`,
      ).join(''),
    );
    const query = `${title} ${DOCS[0]![1]!}`;
    const titled = await runDemo(query, { corpus: beir, titleField: 'title', topK: 2 }, env, capture());
    assert.equal(titled[0]!.id, 'd1');
    assert.ok(
      Math.abs(titled[0]!.score - 1) < 1e-5,
      `d1 is embedded as its title + text: ${titled[0]!.score}`,
    );
    assert.equal(titled[0]!.text, DOCS[0]![1]!, 'the text shown is the passage text');
    const plain = await runDemo(query, { corpus: beir, topK: 2 }, env, capture());
    assert.ok(plain[0]!.score < 0.9999, `without the flag d1 is its text alone: ${plain[0]!.score}`);
    const tsv = join(dir, 'titles.tsv');
    writeFileSync(tsv, '1\tone\n');
    await assert.rejects(
      runDemo('x', { corpus: tsv, titleField: 'title', topK: 2 }, env, capture()),
      /titles\.tsv: a tsv corpus has no fields, so it has no title field "title"/,
    );
  });

  test('a corpus in another format than named: the first 20 rejects are shown, all are counted', async () => {
    const tsv = join(dir, 'many.tsv');
    writeFileSync(tsv, Array.from({ length: 50 }, (_, i) => `${i}\tpassage ${i}\n`).join(''));
    const output = capture();
    await assert.rejects(runDemo('x', { corpus: tsv, format: 'trec', topK: 2 }, env, output), {
      message: `${tsv}: no document to embed`,
    });
    assert.equal(output.progressLines.filter((line) => line.includes(': skipped: ')).length, 20);
    assert.ok(output.progressLines.includes(`read 0 documents from ${tsv} (trec, 50 rejected)`));
  });

  test('--help says what the query defaults to', () => {
    const help = demoCommand().helpInformation();
    assert.match(help, /default: Vaswani query 1, "measurement of/);
    assert.doesNotMatch(help, /default: \[\]/);
  });

  test('--limit embeds only the first n documents', async () => {
    const hits = await runDemo(
      DOCS[3]![1]!,
      { corpus: trecCorpus('limit.trec'), topK: 10, limit: 2 },
      env,
      capture(),
    );
    assert.deepEqual(hits.map((hit) => hit.id).sort(), ['d1', 'd2']);
  });

  test('a corpus with no good document is an error naming the file', async () => {
    const corpus = join(dir, 'empty.trec');
    writeFileSync(corpus, '<DOC>\nno id\n</DOC>\n');
    await assert.rejects(runDemo('anything', { corpus, topK: 3 }, env, capture()), {
      message: `${corpus}: no document to embed`,
    });
  });

  test('a model folder that is not there is an error naming it', async () => {
    const missing = join(dir, 'no-such-model');
    await assert.rejects(
      runDemo('anything', { corpus: trecCorpus('m.trec'), topK: 3, modelDir: missing }, env, capture()),
      (error: Error) => error.message.includes(missing),
    );
  });
});
