/**
 * Mean pooling over the attention mask, then optional L2 normalization, exactly as
 * sentence-transformers' Pooling(mean) and Normalize modules compute them:
 *   pooled = sum(h[t] for t < length) / max(length, 1e-9)
 *   out    = pooled / max(||pooled||, 1e-12)
 * Rows are right-padded, so the mask of row r is "the first lengths[r] positions". Sums run in
 * float64 so the result is at least as exact as PyTorch's float32 reduction.
 */
export function meanPool(
  hidden: Float32Array,
  lengths: Int32Array,
  seqLen: number,
  dim: number,
  normalize: boolean,
): Float32Array {
  const batchSize = lengths.length;
  const out = new Float32Array(batchSize * dim);
  const sum = new Float64Array(dim);
  for (let row = 0; row < batchSize; row++) {
    sum.fill(0);
    const length = lengths[row]!;
    const rowStart = row * seqLen * dim;
    // Four tokens per pass: JS adds in float64 either way, but the running sums are loaded and stored a quarter
    // as often, which makes pooling 2-4x faster (it is on a GPU worker's critical path: bench/gpu).
    let t = 0;
    for (; t + 4 <= length; t += 4) {
      const a = rowStart + t * dim;
      const b = a + dim;
      const c = b + dim;
      const e = c + dim;
      for (let d = 0; d < dim; d++) sum[d]! += hidden[a + d]! + hidden[b + d]! + (hidden[c + d]! + hidden[e + d]!);
    }
    for (; t < length; t++) {
      const offset = rowStart + t * dim;
      for (let d = 0; d < dim; d++) sum[d]! += hidden[offset + d]!;
    }
    const count = Math.max(length, 1e-9);
    let squares = 0;
    for (let d = 0; d < dim; d++) {
      const mean = sum[d]! / count;
      sum[d] = mean;
      squares += mean * mean;
    }
    const scale = normalize ? 1 / Math.max(Math.sqrt(squares), 1e-12) : 1;
    const outStart = row * dim;
    for (let d = 0; d < dim; d++) out[outStart + d] = sum[d]! * scale;
  }
  return out;
}
