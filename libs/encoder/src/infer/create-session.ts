import { threadId } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { ExecutionOptions, SessionInfo } from './execution.ts';
import { gpuUnavailableReason } from './gpu-presence.ts';

/** The inputs a BERT-family graph may declare; anything else is a graph we do not know how to feed. */
const KNOWN_INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids']);
/** Per-token hidden states, under the names Optimum and sentence-transformers exports use. */
const TOKEN_OUTPUTS = ['last_hidden_state', 'token_embeddings'];

export interface LoadedSession {
  readonly session: ort.InferenceSession;
  readonly info: SessionInfo;
}

/** Opens the ONNX graph on the configured provider, falling back from CUDA to CPU with a reason. */
export async function createSession(onnxPath: string, execution: ExecutionOptions): Promise<LoadedSession> {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: execution.intraOpThreads,
    interOpNumThreads: execution.interOpThreads,
    logSeverityLevel: 3,
  };
  let fallbackReason: string | undefined;
  let session: ort.InferenceSession | undefined;
  if (execution.provider === 'auto') fallbackReason = gpuUnavailableReason();
  if (execution.provider === 'cuda' || (execution.provider === 'auto' && fallbackReason === undefined)) {
    try {
      session = await ort.InferenceSession.create(onnxPath, {
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
  session ??= await ort.InferenceSession.create(onnxPath, { ...base, executionProviders: ['cpu'] });
  return { session, info: { provider, fallbackReason, threadId, ...describeGraph(onnxPath, session) } };
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

function firstLine(message: string): string {
  return message.split('\n').find((line) => line.trim() !== '') ?? message;
}
