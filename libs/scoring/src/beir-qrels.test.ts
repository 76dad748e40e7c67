import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detectQrelsFormat, parseBeirQrels } from './beir-qrels.ts';

describe('BEIR qrels', () => {
  test('the header, then query-id corpus-id score; tabs or spaces, CRLF, blank lines', () => {
    const text = 'query-id\tcorpus-id\tscore\r\n1\tdoc-a\t1\n\n1\tdoc-b\t0\n2 doc-a 2\n';
    assert.equal(detectQrelsFormat(text), 'beir');
    assert.deepEqual(
      parseBeirQrels(text),
      new Map([
        [
          '1',
          new Map([
            ['doc-a', 1],
            ['doc-b', 0],
          ]),
        ],
        ['2', new Map([['doc-a', 2]])],
      ]),
    );
  });

  test('TREC qrels are told apart', () => {
    assert.equal(detectQrelsFormat('\n1 0 1239 1\n'), 'trec');
    assert.equal(detectQrelsFormat(''), 'trec');
  });

  test('malformed lines are errors naming the line', () => {
    const header = 'query-id\tcorpus-id\tscore\n';
    assert.throws(
      () => parseBeirQrels('1\td\t1\n'),
      /^Error: qrels line 1: expected the BEIR header "query-id corpus-id score"$/,
    );
    assert.throws(() => parseBeirQrels(`${header}1\td\n`), /^Error: qrels line 2: expected 3 fields/);
    assert.throws(
      () => parseBeirQrels(`${header}1\td\t0.5\n`),
      /^Error: qrels line 2: score "0.5" is not an integer$/,
    );
    assert.throws(
      () => parseBeirQrels(`${header}1\td\t1\n1\td\t2\n`),
      /^Error: qrels line 3: duplicate entry for query 1 document d \(first on line 2\)$/,
    );
  });
});
