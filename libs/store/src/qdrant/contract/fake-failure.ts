// How the fake's endpoint handlers refuse a request: an HttpFailure becomes the HTTP error answer, and a
// field the fake does not model is refused (501, recorded as a violation) rather than silently ignored.

export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Whether the request itself broke the contract (vs. a legitimate error answer such as 404). */
    readonly violation = false,
  ) {
    super(message);
  }
}

/** Fields the fake does not model are refused (501) and recorded, never silently ignored. */
export function only(input: object, known: readonly string[], what: string): void {
  for (const [key, value] of Object.entries(input)) {
    if (value !== null && value !== undefined && !known.includes(key)) {
      throw new HttpFailure(501, `the fake does not model ${what} field "${key}"`, true);
    }
  }
}

export function unsupportedIfSet(input: Record<string, unknown>, key: string): void {
  if (input[key] !== undefined && input[key] !== null)
    throw new HttpFailure(501, `the fake does not model "${key}"`, true);
}
