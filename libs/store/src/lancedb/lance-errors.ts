/**
 * LanceDB's Node API reports its failures as plain `Error`s whose message is the only thing that says
 * what went wrong: these read them, in one place, so that a reworded message is mended once.
 */

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Opening a table (or dataset) that does not exist. Not a version of it that another process's cleanup
 * removed as this one read it: Lance words that "Dataset at path .../_versions/N.manifest was not found".
 */
export function isTableNotFound(error: unknown): boolean {
  return (
    !isVersionRemoved(error) &&
    /Table '[^']*' was not found|Dataset at path .* was not found/i.test(messageOf(error))
  );
}

/**
 * A version's manifest that was listed, then deleted before it was read: another process compacted the
 * table and deleted its old versions (`optimize`'s cleanup) meanwhile. Lance words it "Dataset at path
 * <table>/_versions/<N>.manifest was not found" when opening, "Object at location
 * <table>/_versions/<N>.manifest not found" inside a compaction, and "Not found: <table>/_versions/<N>.manifest"
 * reading it (seen once in CI, two ledger writers with cleanup at every compaction). Reading again finds the
 * newer version.
 */
export function isVersionRemoved(error: unknown): boolean {
  return /_versions\/[^\s,]+\.manifest (was )?not found|not found: \S*_versions\/[^\s,]+\.manifest/i.test(
    messageOf(error),
  );
}

/** Creating a table or tag that another caller created first. */
export function isAlreadyExists(error: unknown): boolean {
  return /already exists/i.test(messageOf(error));
}
