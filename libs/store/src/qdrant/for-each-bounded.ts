// Bounded concurrency for the upsert batches: a few requests in flight keep Qdrant busy without letting
// one large upsert flood it (or this process) with every batch at once.

/** Runs `task` over `items` with at most `limit` in flight; the first failure stops new starts and is thrown once the others settle. */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}
