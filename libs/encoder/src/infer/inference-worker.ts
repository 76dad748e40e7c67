/**
 * Runs in a worker thread of the encoder's pool. onnxruntime-node's `run()` holds the calling
 * thread for the whole forward pass, so it must not run on the event loop of a BullMQ worker (lock
 * renewal) or an HTTP server (health checks). Each thread owns one session; ids cross as
 * transferable Int32Arrays and pooled embeddings come back the same way, so only N x dim floats
 * ever cross threads, never the (batch x seq x dim) hidden states.
 */
import { endianness } from 'node:os';
import * as ort from 'onnxruntime-node';
import { move, workerData } from 'piscina';
import { createSession } from './create-session.ts';
import { halfToFloat } from './half-float.ts';
import type { EmbedTask, InferenceTask, InferenceWorkerConfig } from './inference-task.ts';
import type { SessionInfo } from './execution.ts';
import { meanPool } from './pooling.ts';

const config = workerData as InferenceWorkerConfig;
const loading = createSession(config.onnxPath, config.execution, config);
// A failed load is reported by the first task; keep it from also crashing the thread as unhandled.
loading.catch(() => undefined);

export default async function handle(task: InferenceTask): Promise<SessionInfo | Float32Array> {
  const { session, info } = await loading;
  if (task.kind === 'describe') return info;
  return move(await embed(session, info, task)) as Float32Array;
}

async function embed(session: ort.InferenceSession, info: SessionInfo, task: EmbedTask): Promise<Float32Array> {
  const batchSize = task.lengths.length;
  const dims = [batchSize, task.seqLen];
  const mask = attentionMask(task.lengths, task.seqLen);
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of info.inputNames) {
    const values = name === 'input_ids' ? task.ids : name === 'attention_mask' ? mask : new Int32Array(mask.length);
    feeds[name] = integerTensor(session, name, values, dims);
  }
  const outputs = await session.run(feeds, [info.outputName]);
  const hidden = outputs[info.outputName]!;
  const width = hidden.dims[info.pooling === 'graph' ? 1 : 2];
  if (hidden.dims.length !== (info.pooling === 'graph' ? 2 : 3) || width !== config.dimension) {
    throw new Error(`${config.onnxPath}: output ${info.outputName} has shape [${hidden.dims.join(', ')}], expected [${batchSize}, ${task.seqLen}, ${config.dimension}]`);
  }
  if (info.pooling === 'graph') return pooledRows(hidden, batchSize);
  const values = hidden.type === 'float16' ? halfToFloat(hidden.data as Uint16Array) : (hidden.data as Float32Array);
  return meanPool(values, task.lengths, task.seqLen, config.dimension, config.normalize);
}

/** The graph already pooled: [batch, dim] float32, copied out of onnxruntime's buffer to be transferable. */
function pooledRows(pooled: ort.Tensor, batchSize: number): Float32Array {
  const values = pooled.data as Float32Array;
  if (values.length !== batchSize * config.dimension) throw new Error(`${config.onnxPath}: pooled output has ${values.length} values`);
  return values.slice();
}

function attentionMask(lengths: Int32Array, seqLen: number): Int32Array {
  const mask = new Int32Array(lengths.length * seqLen);
  lengths.forEach((length, row) => mask.fill(1, row * seqLen, row * seqLen + length));
  return mask;
}

/** Most exports declare int64 inputs; a few declare int32. Feed what the graph declares. */
function integerTensor(session: ort.InferenceSession, name: string, values: Int32Array, dims: number[]): ort.Tensor {
  const meta = session.inputMetadata.find((m) => m.name === name);
  if (meta?.isTensor && meta.type === 'int32') return new ort.Tensor('int32', values, dims);
  return new ort.Tensor('int64', toInt64(values), dims);
}

const littleEndian = endianness() === 'LE';

/**
 * Widening through an Int32Array view of the BigInt64Array (low word = value, high word = sign)
 * avoids allocating one BigInt per token, which dominates at large batch sizes.
 */
function toInt64(values: Int32Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  if (!littleEndian) {
    values.forEach((v, i) => (out[i] = BigInt(v)));
    return out;
  }
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    words[2 * i] = v;
    words[2 * i + 1] = v >> 31;
  }
  return out;
}
