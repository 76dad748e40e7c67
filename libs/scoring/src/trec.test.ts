import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseQrels } from './qrels.ts';
import { readQrels, readRun, writeTrecRun } from './trec-files.ts';
import { formatTrecRun, parseRun, resultsToRun } from './trec-run.ts';

const RESULTS = [
  [
    { corpusId: 2, score: 0.75 },
    { corpusId: 0, score: 0.1 + 0.2 },
  ],
  [],
  [{ corpusId: 1, score: -1 }],
];
const IDS = { queryIds: ['q1', 'q2', 'q3'], docIds: ['d0', 'd1', 'd2'] };

describe('parseQrels', () => {
  test('qid iter docid rel, any whitespace, CRLF, blank lines, negative grades', () => {
    const qrels = parseQrels('q1 0 d1 2\r\n\nq1\t0   d2 0\n  q2 Q0 d1 -1  \n\n');
    assert.deepEqual(
      qrels,
      new Map([
        [
          'q1',
          new Map([
            ['d1', 2],
            ['d2', 0],
          ]),
        ],
        ['q2', new Map([['d1', -1]])],
      ]),
    );
    assert.deepEqual(parseQrels(''), new Map());
  });

  test('malformed lines name the line and the problem', () => {
    assert.throws(
      () => parseQrels('q1 0 d1 1\nq1 0 d2\n'),
      /qrels line 2: expected 4 fields "qid iter docid rel", got 3/,
    );
    assert.throws(
      () => parseQrels('q1 0 d1 1 extra'),
      /qrels line 1: expected 4 fields "qid iter docid rel", got 5/,
    );
    assert.throws(() => parseQrels('\nq1 0 d1 1.5'), /qrels line 2: relevance "1.5" is not an integer/);
    assert.throws(() => parseQrels('q1 0 d1 high'), /qrels line 1: relevance "high" is not an integer/);
    assert.throws(
      () => parseQrels('q1 0 d1 1\nq2 0 d1 1\nq1 0 d1 0'),
      /qrels line 3: duplicate entry for query q1 document d1 \(first on line 1\)/,
    );
  });
});

describe('parseRun', () => {
  test('qid Q0 docid rank score tag; the rank column is read but not used', () => {
    const run = parseRun('q1 Q0 d1 1 0.5 tag\nq1 Q0 d2 1 -2e-3 tag\nq2 Q0 d1 7 3 other\n');
    assert.deepEqual(
      run,
      new Map([
        [
          'q1',
          new Map([
            ['d1', 0.5],
            ['d2', -0.002],
          ]),
        ],
        ['q2', new Map([['d1', 3]])],
      ]),
    );
  });

  test('malformed lines name the line and the problem', () => {
    assert.throws(
      () => parseRun('q1 Q0 d1 1 0.5'),
      /run line 1: expected 6 fields "qid Q0 docid rank score tag", got 5/,
    );
    assert.throws(
      () => parseRun('q1 Q0 d1 1 0.5 t\nq1 Q0 d2 first 0.5 t'),
      /run line 2: rank "first" is not an integer/,
    );
    assert.throws(() => parseRun('q1 Q0 d1 1 high t'), /run line 1: score "high" is not a number/);
    assert.throws(
      () => parseRun('q1 Q0 d1 1 1 t\nq1 Q0 d1 2 0 t'),
      /run line 2: duplicate entry for query q1 document d1 \(first on line 1\)/,
    );
  });
});

describe('writing runs', () => {
  test('formatTrecRun: one line per hit, ranks from 1, scores in full', () => {
    assert.equal(
      formatTrecRun(RESULTS, { ...IDS, tag: 'embedline' }),
      'q1 Q0 d2 1 0.75 embedline\nq1 Q0 d0 2 0.30000000000000004 embedline\nq3 Q0 d1 1 -1 embedline\n',
    );
    assert.equal(formatTrecRun([[]], { queryIds: ['q'], docIds: [], tag: 't' }), '');
  });

  test('doc ids from a function; parseRun reads back what resultsToRun builds', () => {
    const ids = { queryIds: IDS.queryIds, docIds: (id: number) => `doc-${id}` };
    const text = formatTrecRun(RESULTS, { ...ids, tag: 't' });
    assert.deepEqual(parseRun(text), resultsToRun(RESULTS, ids));
    assert.deepEqual(
      resultsToRun(RESULTS, ids),
      new Map([
        [
          'q1',
          new Map([
            ['doc-2', 0.75],
            ['doc-0', 0.30000000000000004],
          ]),
        ],
        ['q3', new Map([['doc-1', -1]])],
      ]),
    );
  });

  test('refusals: id counts, missing ids, whitespace in ids or tag, repeated hits', () => {
    assert.throws(
      () => formatTrecRun(RESULTS, { queryIds: ['q1'], docIds: IDS.docIds, tag: 't' }),
      /3 result lists but 1 query ids/,
    );
    assert.throws(
      () => formatTrecRun(RESULTS, { ...IDS, docIds: ['d0'], tag: 't' }),
      /no document id for corpus id 2 \(1 ids given\)/,
    );
    assert.throws(
      () => formatTrecRun(RESULTS, { ...IDS, tag: 'my run' }),
      /tag "my run" is empty or contains whitespace/,
    );
    assert.throws(
      () => formatTrecRun(RESULTS, { ...IDS, queryIds: ['q 1', 'q2', 'q3'], tag: 't' }),
      /query id "q 1"/,
    );
    const twice = [
      [
        { corpusId: 0, score: 1 },
        { corpusId: 0, score: 1 },
      ],
    ];
    assert.throws(
      () => resultsToRun(twice, { queryIds: ['q'], docIds: ['d'] }),
      /query q lists document d twice/,
    );
  });
});

describe('TREC files', () => {
  test('writeTrecRun / readRun / readQrels round-trip; parse errors carry the path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scoring-'));
    try {
      const runPath = join(dir, 'run.txt');
      await writeTrecRun(runPath, RESULTS, { ...IDS, tag: 't' });
      assert.equal(await readFile(runPath, 'utf8'), formatTrecRun(RESULTS, { ...IDS, tag: 't' }));
      assert.deepEqual(await readRun(runPath), resultsToRun(RESULTS, IDS));
      const qrelsPath = join(dir, 'qrels.txt');
      await writeFile(qrelsPath, 'q1 0 d2 1\n');
      assert.deepEqual(await readQrels(qrelsPath), new Map([['q1', new Map([['d2', 1]])]]));
      await writeFile(qrelsPath, 'q1 0 d2\n');
      await assert.rejects(readQrels(qrelsPath), {
        message: `${qrelsPath}: qrels line 1: expected 4 fields "qid iter docid rel", got 3`,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
