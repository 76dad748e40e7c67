/**
 * Runs in a worker thread of the encoder's pool. onnxruntime-node's `run()` holds the calling
 * thread for the whole forward pass, so it must not run on the event loop of a BullMQ worker (lock
 * renewal) or an HTTP server (health checks). Each thread owns one session; ids cross as
 * transferable Int32Arrays and pooled embeddings come back the same way, so only N x dim floats
 * ever cross threads, never the (batch x seq x dim) hidden states.
 */
import * as ort from 'onnxruntime-node';
import { move, workerData } from 'piscina';
import { createSession } from './create-session.ts';
import { halfToFloat } from './half-float.ts';
import type { EmbedTask, InferenceTask, InferenceWorkerConfig } from './inference-task.ts';
import type { SessionInfo } from './execution.ts';
import { InputBuffers, type BatchInputs, type IntegerType } from './input-buffers.ts';
import { meanPool } from './pooling.ts';

const config = workerData as InferenceWorkerConfig;
const loading = createSession(config.onnxPath, config.execution, config);
// Piscina hands this thread its next batch while one runs (BATCHES_PER_INFERENCE_THREAD), and onnxruntime-node starts
// a run on a later turn of the event loop, so two batches can hold input buffers at once: one set each, kept.
const spareInputs: InputBuffers[] = [];
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
  const inputs = spareInputs.pop() ?? new InputBuffers();
  const batch = inputs.lend(task.ids, task.lengths, task.seqLen, {
    inputIds: declaredType(session, 'input_ids'),
    attentionMask: declaredType(session, 'attention_mask'),
    tokenTypeIds: declaredType(session, 'token_type_ids'),
  });
  try {
    return await runBatch(session, info, task, feedsFor(info, batch, dims));
  } finally {
    inputs.release();
    spareInputs.push(inputs);
  }
}

function feedsFor(info: SessionInfo, batch: BatchInputs, dims: number[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of info.inputNames) {
    const values = name === 'input_ids' ? batch.inputIds : name === 'attention_mask' ? batch.attentionMask : batch.tokenTypeIds;
    feeds[name] = values instanceof BigInt64Array ? new ort.Tensor('int64', values, dims) : new ort.Tensor('int32', values, dims);
  }
  return feeds;
}

async function runBatch(
  session: ort.InferenceSession,
  info: SessionInfo,
  task: EmbedTask,
  feeds: Record<string, ort.Tensor>,
): Promise<Float32Array> {
  const batchSize = task.lengths.length;
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

/** Most exports declare int64 inputs; a few declare int32. Feed what the graph declares. */
function declaredType(session: ort.InferenceSession, name: string): IntegerType {
  const meta = session.inputMetadata.find((m) => m.name === name);
  return meta?.isTensor && meta.type === 'int32' ? 'int32' : 'int64';
}
