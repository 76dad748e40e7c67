import { readFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { ExecutionOptions, SessionInfo } from './execution.ts';
import { gpuUnavailableReason } from './gpu-presence.ts';
import { appendMeanPooling, graphInterface, MIN_OPSET, POOLED_OUTPUT } from './graph-pooling.ts';

/** The inputs a BERT-family graph may declare; anything else is a graph we do not know how to feed. */
const KNOWN_INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids']);
/** Per-token hidden states, under the names Optimum and sentence-transformers exports use. */
const TOKEN_OUTPUTS = ['last_hidden_state', 'token_embeddings'];

/** What the session must produce: pooled in the graph when asked and the graph allows it. */
export interface PoolingRequest {
  readonly pooling: 'graph' | 'host';
  readonly dimension: number;
  readonly normalize: boolean;
}

export interface LoadedSession {
  readonly session: ort.InferenceSession;
  readonly info: SessionInfo;
}

/** Opens the ONNX graph on the configured provider, falling back from CUDA to CPU with a reason. */
export async function createSession(
  onnxPath: string,
  execution: ExecutionOptions,
  pooling: PoolingRequest = { pooling: 'host', dimension: 0, normalize: false },
): Promise<LoadedSession> {
  const model = modelSource(onnxPath, pooling);
  const base = baseSessionOptions(execution);
  let fallbackReason: string | undefined;
  let session: ort.InferenceSession | undefined;
  if (execution.provider === 'auto') fallbackReason = gpuUnavailableReason();
  if (execution.provider === 'cuda' || (execution.provider === 'auto' && fallbackReason === undefined)) {
    try {
      session = await openSession(model.source, {
        ...base,
        // onnxruntime logs its own multi-line error when the CUDA libraries are missing; we report the
        // fallback in one line instead (the caller logs fallbackReason).
        logSeverityLevel: 4,
        executionProviders: [{ name: 'cuda', deviceId: execution.deviceId }],
      });
    } catch (error) {
      fallbackReason = firstLine((error as Error).message);
    }
  }
  const provider = session ? 'cuda' : 'cpu';
  session ??= await openSession(model.source, { ...base, executionProviders: ['cpu'] });
  const graph = describeGraph(onnxPath, session);
  const info = model.pooled ? { ...graph, outputName: POOLED_OUTPUT, pooling: 'graph' as const } : { ...graph, pooling: 'host' as const };
  return { session, info: { provider, fallbackReason, threadId, ...info } };
}

/** Session options for either provider. */
export function baseSessionOptions(execution: ExecutionOptions): ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: execution.intraOpThreads,
    interOpNumThreads: execution.interOpThreads,
    logSeverityLevel: 3,
    // onnxruntime's session config entry session.intra_op.allow_spinning (its default: spin).
    extra: { session: { intra_op: { allow_spinning: execution.intraOpSpinning ? '1' : '0' } } },
  };
}

/**
 * The graph to load: the file as it is, or with mean pooling appended (graph-pooling.ts) when asked and
 * the graph has an attention_mask input and a hidden-state output to pool.
 */
function modelSource(onnxPath: string, request: PoolingRequest): { source: string | Uint8Array; pooled: boolean } {
  // Loaded by path unless we change it: onnxruntime then also finds weights kept in external data files.
  if (request.pooling === 'host') return { source: onnxPath, pooled: false };
  const bytes = readFileSync(onnxPath);
  const { inputs, outputs, opset } = graphInterface(bytes);
  const hiddenName = TOKEN_OUTPUTS.find((name) => outputs.includes(name));
  if (!inputs.includes('attention_mask') || hiddenName === undefined || opset < MIN_OPSET) return { source: onnxPath, pooled: false };
  const options = { hiddenName, maskName: 'attention_mask', dimension: request.dimension, normalize: request.normalize };
  return { source: appendMeanPooling(bytes, options), pooled: true };
}

function describeGraph(onnxPath: string, session: ort.InferenceSession): Pick<SessionInfo, 'inputNames' | 'outputName'> {
  const unknown = session.inputNames.filter((name) => !KNOWN_INPUTS.has(name));
  if (unknown.length > 0 || !session.inputNames.includes('input_ids')) {
    throw new Error(
      `${onnxPath}: graph inputs [${session.inputNames.join(', ')}] are not those of a BERT-family encoder ` +
        `(expected input_ids, attention_mask and optionally token_type_ids)`,
    );
  }
  const outputName = TOKEN_OUTPUTS.find((name) => session.outputNames.includes(name));
  if (outputName === undefined) {
    throw new Error(
      `${onnxPath}: graph outputs [${session.outputNames.join(', ')}] include no per-token hidden states ` +
        `(${TOKEN_OUTPUTS.join(' or ')})`,
    );
  }
  return { inputNames: session.inputNames, outputName };
}

function openSession(source: string | Uint8Array, options: ort.InferenceSession.SessionOptions) {
  return typeof source === 'string' ? ort.InferenceSession.create(source, options) : ort.InferenceSession.create(source, options);
}

function firstLine(message: string): string {
  return message.split('\n').find((line) => line.trim() !== '') ?? message;
}
