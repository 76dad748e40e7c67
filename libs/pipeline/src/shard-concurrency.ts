/**
 * Shards a worker holds at once when nobody says (`--concurrency`, EMBEDLINE_WORKER_CONCURRENCY): two per
 * inference thread, at least two.
 *
 * Why: a shard spends part of its life away from the model (reading its range, tokenizing, building the
 * Arrow batch, the store's commit, Redis), and a 1,000-passage shard is only one or two inference calls at
 * the token budgets a GPU uses. With one CPU session, two shards are enough for one to be written while the
 * other is embedded. With four GPU sessions, two shards left the GPU between batches: on an H200 the
 * pipeline kept 0.58 of the encoder's rate at concurrency 2 (docs/gpu.md, "The pipeline on a GPU"), and its
 * rate matched the encoder and the plumbing taking turns instead of overlapping. Shards in hand cost little
 * (a shard's passages and vectors, ~3 MB at 768-d) next to a GPU left waiting.
 */
export function defaultShardConcurrency(inferenceThreads: number): number {
  return Math.max(2, 2 * inferenceThreads);
}
