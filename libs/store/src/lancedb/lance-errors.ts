/**
 * LanceDB's Node API reports its failures as plain `Error`s whose message is the only thing that says
 * what went wrong: these read them, in one place, so that a reworded message is mended once.
 */

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Opening a table (or dataset) that does not exist. */
export function isTableNotFound(error: unknown): boolean {
  return /Table '[^']*' was not found|Dataset at path .* was not found/i.test(messageOf(error));
}

/** Creating a table or tag that another caller created first. */
export function isAlreadyExists(error: unknown): boolean {
  return /already exists/i.test(messageOf(error));
}
