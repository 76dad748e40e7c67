// Lone surrogates in JSON payloads: Qdrant's serde_json refuses a request that holds one ("lone leading
// surrogate in hex escape"), so points carry well-formed strings only (see toPoints), and the contract fake
// refuses as Qdrant does.

/** Whether every string in `value` (keys included) is well-formed UTF-16. */
export function isWellFormedDeep(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed();
  if (Array.isArray(value)) return value.every(isWellFormedDeep);
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).every(([key, item]) => key.isWellFormed() && isWellFormedDeep(item));
  return true;
}

/** `value` with every string (keys included) made well-formed, a lone surrogate becoming U+FFFD. */
export function toWellFormedDeep(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (Array.isArray(value)) return value.map(toWellFormedDeep);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key.toWellFormed(), toWellFormedDeep(item)]),
    );
  }
  return value;
}
