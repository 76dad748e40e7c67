import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { QueryFileError } from './errors/query-file-error.ts';
import { queryFormat, readQueries } from './query-files.ts';
import { tempFiles } from './testing/temp-corpus.ts';

const { dir, file } = tempFiles();
const VASWANI_QUERIES = new URL('../../../data/vaswani/query-text.trec', import.meta.url).pathname;

async function problemOf(path: string, format?: string): Promise<string> {
  try {
    await readQueries(path, { format });
  } catch (error) {
    assert.ok(error instanceof QueryFileError, String(error));
    return error.message;
  }
  assert.fail('expected a QueryFileError');
}

describe('readQueries', () => {
  test('the bundled Vaswani topics: 93 queries, ids 1..93 in order', async () => {
    const queries = await readQueries(VASWANI_QUERIES);
    assert.equal(queries.length, 93);
    assert.deepEqual(
      queries.map((q) => q.id),
      Array.from({ length: 93 }, (_, i) => String(i + 1)),
    );
    assert.equal(
      queries[0]!.text,
      'MEASUREMENT OF DIELECTRIC CONSTANT OF LIQUIDS BY THE USE OF MICROWAVE TECHNIQUES',
    );
  });

  test('MS MARCO queries.tsv: qid<TAB>text, CRLF, blank lines, the text keeps later TABs', async () => {
    const path = file('queries.dev.small.tsv', "1048585\twhat is paula deen's brother\r\n\n2\ta\tb\n");
    assert.deepEqual(await readQueries(path), [
      { id: '1048585', text: "what is paula deen's brother", line: 1 },
      { id: '2', text: 'a\tb', line: 3 },
    ]);
    const gz = file('queries.tsv.gz', gzipSync('7\tgzipped query\n'));
    assert.deepEqual(await readQueries(gz), [{ id: '7', text: 'gzipped query', line: 1 }]);
  });

  test('JSONL {id,text} and BEIR queries.jsonl {_id,text,metadata}; integer ids as decimal strings', async () => {
    const path = file(
      'queries.jsonl',
      '{"_id": "PLAIN-1", "text": "why", "metadata": {}}\n{"id": 12, "text": "how"}\n',
    );
    assert.deepEqual(await readQueries(path), [
      { id: 'PLAIN-1', text: 'why', line: 1 },
      { id: '12', text: 'how', line: 2 },
    ]);
  });

  test('the format comes from the name, or is named; unknown ones are errors', async () => {
    assert.equal(queryFormat('/x/queries.dev.tsv'), 'tsv');
    assert.equal(queryFormat('/x/Q.NDJSON'), 'jsonl');
    assert.equal(queryFormat('/x/topics.301-350', 'trec'), 'trec');
    assert.match(
      await problemOf(file('topics.301-350', '<top>')),
      /topics\.301-350: cannot tell the query format from the file name .*; name it with the format option \(embedline eval --queries-format\): tsv, tsv\.gz, jsonl, jsonl\.gz, trec$/,
    );
    assert.match(await problemOf(file('q.txt', 'x'), 'csv'), /q\.txt: unknown query format "csv"/);
  });

  test('missing files and folders are errors naming the path', async () => {
    assert.equal(await problemOf(join(dir, 'nope.tsv')), `${join(dir, 'nope.tsv')}: no such file`);
    assert.equal(await problemOf(join(dir, 'nope.trec')), `${join(dir, 'nope.trec')}: no such file`);
    assert.match(await problemOf(dir, 'tsv'), /: (is a folder, not a file|cannot read)/);
  });

  test('a TREC topics file is gunzipped when its name ends .gz; a broken one is named', async () => {
    const topics = '<top>\n<num> Number: 7\n<title> gzipped topic\n</top>\n';
    const gz = file('topics.trec.gz', gzipSync(topics));
    assert.deepEqual(await readQueries(gz, { format: 'trec' }), [
      { id: '7', text: 'gzipped topic', line: 1 },
    ]);
    const broken = file('broken.trec.gz', topics);
    assert.equal(
      await problemOf(broken, 'trec'),
      `${broken}: not a readable gzip file (incorrect header check)`,
    );
    assert.equal(await problemOf(dir, 'trec'), `${dir}: is a folder, not a file`);
  });

  test('malformed lines are errors naming the file and line, never dropped queries', async () => {
    const cases: [string, string, string][] = [
      ['a.tsv', '1\tok\n2 no tab\n', 'line 2: no TAB between query id and text: "2 no tab"'],
      ['b.tsv', '1\tok\n\t text\n', 'line 2: query id "" is empty or contains whitespace'],
      ['c.tsv', '1\tok\n1 2\ttext\n', 'line 2: query id "1 2" is empty or contains whitespace'],
      ['d.tsv', '1\tok\n2\t  \n', 'line 2: query 2 has no text'],
      ['e.tsv', '1\tok\n\n1\tagain\n', 'line 3: query id 1 repeated (first on line 1)'],
      ['f.jsonl', '{"id":"1","text":"ok"}\n{"id":"2",\n', 'line 2: invalid JSON'],
      ['g.jsonl', '[1, 2]\n', 'line 1: not a JSON object'],
      [
        'h.jsonl',
        '{"id": 1.5, "text": "x"}\n',
        'line 1: "id" (or "_id") must be a string or an integer, got 1.5',
      ],
      ['i.jsonl', '{"id": "1", "text": 3}\n', 'line 1: "text" must be a string, got 3'],
      ['j.jsonl', '{"id": "1", "_id": "2", "text": "x"}\n', 'line 1: has both "id" and "_id"'],
      ['k.tsv', '', 'no queries in the file'],
    ];
    for (const [name, content, expected] of cases) {
      const path = file(name, content);
      const message = await problemOf(path);
      assert.ok(
        message.startsWith(`${path} ${expected}`) || message.startsWith(`${path}: ${expected}`),
        message,
      );
    }
    const latin1 = file('l.tsv', Buffer.from([0x31, 0x09, 0xe9, 0x0a]));
    assert.match(await problemOf(latin1), /l\.tsv line 1: not valid UTF-8/);
  });
});
