/**
 * An error's message as an operator reads it in a log line, a dead-letter entry or `status`. LanceDB's errors
 * carry the Rust source location of every layer (`, /usr/local/cargo/registry/src/.../writer.rs:389:9`) and
 * repeat their cause once per layer (`... No space left on device (os error 28) Caused by: LanceError(IO): No
 * space left on device (os error 28) Caused by: No space left on device (os error 28)`): those go, the words stay.
 */
export function conciseMessage(message: string): string {
  const parts = message
    .replace(/,\s*\/[^\s,]*\.rs:\d+:\d+/g, '')
    .split(/\s*Caused by:\s*/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  const kept = parts.filter((part, i) => !parts.slice(0, i).some((earlier) => earlier.includes(part)));
  return kept.join('; caused by: ');
}

/** `error` with its message made concise (see conciseMessage): the same error when nothing changes, else a plain Error. */
export function conciseError(error: unknown): unknown {
  if (!(error instanceof Error) || error.constructor !== Error) return error;
  const message = conciseMessage(error.message);
  return message === error.message ? error : new Error(message, { cause: error });
}
