import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { nonNegativeIntFlag, portFlag, positiveIntFlag, wholeNumber } from './number-flags.ts';

test('wholeNumber: the whole number a text says, else NaN (a blank is no number)', () => {
  assert.equal(wholeNumber(' 42 '), 42);
  assert.equal(wholeNumber('1e3'), 1000);
  for (const text of ['', '  ', '1.5', 'lots', 'NaN'])
    assert.ok(Number.isNaN(wholeNumber(text)), JSON.stringify(text));
});

test('the flag parsers take what the variables take, and say what they expected', () => {
  assert.equal(positiveIntFlag('3'), 3);
  assert.equal(nonNegativeIntFlag('0'), 0);
  assert.equal(portFlag('65535'), 65535);
  const refused: [(value: string) => number, string, string][] = [
    [positiveIntFlag, '0', 'expected a positive whole number, got "0"'],
    [positiveIntFlag, '', 'expected a positive whole number, got ""'],
    [nonNegativeIntFlag, '-1', 'expected a whole number, got "-1"'],
    [nonNegativeIntFlag, '', 'expected a whole number, got ""'],
    [portFlag, '70000', 'expected a port from 0 to 65535, got "70000"'],
    [portFlag, '', 'expected a port from 0 to 65535, got ""'],
  ];
  for (const [parse, value, message] of refused) {
    assert.throws(
      () => parse(value),
      (error: Error) => error instanceof InvalidArgumentError && error.message === message,
    );
  }
});
