/**
 * The model's integer inputs, built in buffers that an inference thread keeps from batch to batch.
 *
 * Why by hand: a GPU worker runs dozens of batches a second, each with ids, attention mask and (for some exports)
 * token type ids of batch x length int64 values (0.25 MB each at a 32k-token budget); allocating them afresh makes
 * that much garbage per batch for the collector. onnxruntime-node offers no IO binding or pinned host inputs to do
 * this for us: it reads a CPU tensor's memory in place during `run()`, so a buffer can be rewritten once `run()`
 * has returned. On the GPU its device memory is already reused by the CUDA provider's arena.
 *
 * A thread keeps one set per batch it holds (two: see the encoder's BATCHES_PER_INFERENCE_THREAD); a set is lent to
 * one batch at a time: `lend()` refuses while a batch still holds it.
 */
import { endianness } from 'node:os';

export interface BatchInputs {
  readonly inputIds: Int32Array | BigInt64Array;
  readonly attentionMask: Int32Array | BigInt64Array;
  /** All zeros: one segment. */
  readonly tokenTypeIds: Int32Array | BigInt64Array;
}

export type IntegerType = 'int32' | 'int64';

const littleEndian = endianness() === 'LE';

export class InputBuffers {
  #lent = false;
  readonly #int64 = new Map<string, BigInt64Array>();
  readonly #int32 = new Map<string, Int32Array>();

  /**
   * Inputs for one padded batch (`ids` row-major, `lengths` real tokens per row), as the graph declares them.
   * Valid until `release()`; the views are exactly batch x seqLen long.
   */
  lend(ids: Int32Array, lengths: Int32Array, seqLen: number, types: Readonly<Record<keyof BatchInputs, IntegerType>>): BatchInputs {
    if (this.#lent) throw new Error('InputBuffers: the previous batch still holds the buffers');
    this.#lent = true;
    const size = lengths.length * seqLen;
    const mask = this.#view32('mask-int32', size);
    mask.fill(0);
    lengths.forEach((length, row) => mask.fill(1, row * seqLen, row * seqLen + length));
    return {
      inputIds: this.#as(types.inputIds, 'ids', ids),
      attentionMask: this.#as(types.attentionMask, 'mask', mask),
      // Never written: fresh typed arrays are zeros, so the views stay zeros without work per batch.
      tokenTypeIds: types.tokenTypeIds === 'int32' ? this.#view32('zeros', size) : this.#view64('zeros', size),
    };
  }

  release(): void {
    this.#lent = false;
  }

  #as(type: IntegerType, key: string, values: Int32Array): Int32Array | BigInt64Array {
    return type === 'int32' ? values : widen(values, this.#view64(key, values.length));
  }

  #view32(key: string, length: number): Int32Array {
    let buffer = this.#int32.get(key);
    if (buffer === undefined || buffer.length < length) this.#int32.set(key, (buffer = new Int32Array(length)));
    return buffer.subarray(0, length);
  }

  #view64(key: string, length: number): BigInt64Array {
    let buffer = this.#int64.get(key);
    if (buffer === undefined || buffer.length < length) this.#int64.set(key, (buffer = new BigInt64Array(length)));
    return buffer.subarray(0, length);
  }
}

/**
 * Widens int32 into `out` through an Int32Array view of it (low word = value, high word = sign): no BigInt per
 * token, which would dominate at large batch sizes.
 */
export function widen(values: Int32Array, out: BigInt64Array): BigInt64Array {
  if (!littleEndian) {
    values.forEach((v, i) => (out[i] = BigInt(v)));
    return out;
  }
  const words = new Int32Array(out.buffer, out.byteOffset, out.length * 2);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    words[2 * i] = v;
    words[2 * i + 1] = v >> 31;
  }
  return out;
}
