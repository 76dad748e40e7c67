// Integer checks for the store's options and createCollection's arguments. The RangeError names the
// option and its allowed range, so a bad setting points at itself instead of failing deep in a request.

/** `value` when it is an integer of at least 1; otherwise a RangeError naming `what`. */
export function positiveInteger(what: string, value: number): number {
  return inRange(what, value, 1, Number.MAX_SAFE_INTEGER);
}

/** `value` when it is an integer in [min, max]; otherwise a RangeError naming `what`. */
export function inRange(what: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`QdrantStore ${what} must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}
