// The apps' numeric flags take what their variables take (envSchema's whole numbers, by the same rule):
// a bad value is commander's usage error naming the flag, before a model loads or Redis is reached.
import { InvalidArgumentError } from 'commander';

/** The whole number `text` says, else NaN. A blank is no number (`Number('')` would read it as 0). */
export function wholeNumber(text: string): number {
  const trimmed = text.trim();
  const n = trimmed === '' ? Number.NaN : Number(trimmed);
  return Number.isInteger(n) ? n : Number.NaN;
}

/** A commander argument parser taking whole numbers in [min, max]; `expected` names them in the error. */
function wholeNumberFlag(min: number, max: number, expected: string): (value: string) => number {
  return (value) => {
    const n = wholeNumber(value);
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(`expected ${expected}, got "${value}"`);
    return n;
  };
}

export const positiveIntFlag = wholeNumberFlag(1, Number.MAX_SAFE_INTEGER, 'a positive whole number');
export const nonNegativeIntFlag = wholeNumberFlag(0, Number.MAX_SAFE_INTEGER, 'a whole number');
export const portFlag = wholeNumberFlag(0, 65535, 'a port from 0 to 65535');
