import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QueryFileError } from './errors/query-file-error.ts';
import { parseTrecTopics } from './trec-topics.ts';

const CLASSIC = `<top>

<num> Number: 301
<title> International Organized Crime

<desc> Description:
Identify organizations that participate in
international criminal activity.

<narr> Narrative:
A relevant document must identify the organization.

</top>

<top>
<num> Number: 302
<title> Poliomyelitis and Post-Polio
<desc> Description:
Is the disease of Poliomyelitis (polio) under control in the world?
</top>
`;

function problemOf(text: string, field?: 'title' | 'desc' | 'narr'): string {
  try {
    parseTrecTopics(text, 'topics.txt', field);
  } catch (error) {
    assert.ok(error instanceof QueryFileError, String(error));
    return error.message;
  }
  assert.fail('expected a QueryFileError');
}

describe('parseTrecTopics', () => {
  test('the Vaswani layout: closed <num> and <title>, text on its own lines', () => {
    const text =
      '<top>\n<num>1</num><title>\nMEASUREMENT OF  DIELECTRIC\nCONSTANT\n</title>\n</top>\n<top>\n<num>2</num><title>\nWAVEGUIDES\n</title>\n</top>\n';
    assert.deepEqual(parseTrecTopics(text, 'q.trec'), [
      { id: '1', text: 'MEASUREMENT OF DIELECTRIC CONSTANT', line: 1 },
      { id: '2', text: 'WAVEGUIDES', line: 7 },
    ]);
  });

  test('the classic layout: fields run to the next tag, labels dropped, any field', () => {
    assert.deepEqual(parseTrecTopics(CLASSIC, 't'), [
      { id: '301', text: 'International Organized Crime', line: 1 },
      { id: '302', text: 'Poliomyelitis and Post-Polio', line: 15 },
    ]);
    assert.deepEqual(
      parseTrecTopics(CLASSIC, 't', 'desc').map((q) => q.text),
      [
        'Identify organizations that participate in international criminal activity.',
        'Is the disease of Poliomyelitis (polio) under control in the world?',
      ],
    );
    assert.equal(
      parseTrecTopics(CLASSIC.replace('<title>', '<TITLE>'), 't')[0]!.text,
      'International Organized Crime',
    );
  });

  test('malformed files are errors naming the file and the line', () => {
    assert.equal(
      problemOf('<top>\n<num>1</num><title>a</title>\n'),
      'topics.txt line 1: <top> is never closed (no </top>)',
    );
    assert.equal(
      problemOf('<top>\n<num>1</num><title>a</title>\n<top>\n'),
      'topics.txt line 3: <top> inside the topic opened on line 1 (missing </top>?)',
    );
    assert.equal(
      problemOf('hello\n<top><num>1</num><title>a</title></top>'),
      'topics.txt line 1: text outside <top> ... </top>',
    );
    assert.equal(
      problemOf('<top><num>1</num><title>a</title></top>\n\n stray'),
      'topics.txt line 3: text outside <top> ... </top>',
    );
    assert.equal(problemOf('<top>\n<title>a</title>\n</top>'), 'topics.txt line 1: topic has no <num>');
    assert.equal(problemOf('<top>\n<num>7</num>\n</top>'), 'topics.txt line 1: topic 7 has no <title>');
    assert.equal(
      problemOf('<top>\n<num>7</num>\n<title>  \n</title></top>'),
      'topics.txt line 3: topic 7 has an empty <title>',
    );
    assert.equal(
      problemOf('<top>\n<num>7 8</num><title>a</title></top>'),
      'topics.txt line 2: topic number "7 8" is empty or contains whitespace',
    );
    assert.equal(
      problemOf('<top><num>7</num><title>a</title></top>\n<top><num>7</num><title>b</title>\n</top>'),
      'topics.txt line 3: topic 7 repeated (first on line 1)',
    );
    assert.equal(
      problemOf('<top><num>7</num>\n<title>a</title><title>b</title></top>'),
      'topics.txt line 2: second <title> in one topic (first on line 2)',
    );
    assert.equal(
      problemOf('<top><num>7</num>\n</title></top>'),
      'topics.txt line 2: </title> without a matching <title>',
    );
    assert.equal(problemOf('<num>7</num>'), 'topics.txt line 1: <num> outside <top> ... </top>');
    assert.equal(
      problemOf('<top><num>7</num>\n x <title>a</title></top>'),
      'topics.txt line 2: text inside <top> but in no field',
    );
    assert.equal(problemOf('\n\n'), 'topics.txt: no <top> topics found: is this a TREC topics file?');
  });
});
