/**
 * Mean pooling (and L2 normalization) appended to the model's ONNX graph, so the session returns
 * [batch, dim] sentence embeddings instead of [batch, length, dim] hidden states.
 *
 * Why: on a GPU, copying every token's hidden state to the host and pooling it in JavaScript costs
 * more than the model itself (bench/gpu, docs/gpu.md). In the graph, the reduction runs where the hidden
 * states already are, and only batch x dim floats cross to the host. The arithmetic is
 * sentence-transformers' own, in float32 as PyTorch does it:
 *   pooled = sum(h * mask, over tokens) / max(sum(mask), 1e-9);  out = pooled / max(||pooled||, 1e-12)
 */
import { MessageWriter, readFields, type WireField } from './onnx-wire.ts';

/** The name of the output we add (prefixed: no exporter writes it). */
export const POOLED_OUTPUT = 'embedline_sentence_embedding';

const MODEL_OPSET_IMPORT = 8;
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const FLOAT = 1;
const INT64 = 7;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_TENSOR = 4;

/** The oldest opset whose ReduceSum/Unsqueeze we write; older graphs are pooled on the host. */
export const MIN_OPSET = 13;

export interface PoolingGraphOptions {
  /** The graph output holding per-token hidden states. */
  readonly hiddenName: string;
  /** The graph input holding the attention mask. */
  readonly maskName: string;
  readonly dimension: number;
  readonly normalize: boolean;
}

type Attribute = { name: string } & ({ int: number } | { tensor: MessageWriter });

function attribute(a: Attribute): MessageWriter {
  const w = new MessageWriter().string(1, a.name);
  if ('int' in a) return w.int(20, ATTRIBUTE_INT).int(3, a.int);
  return w.int(20, ATTRIBUTE_TENSOR).message(5, a.tensor);
}

function tensor(dataType: number, dims: number[], raw: Uint8Array): MessageWriter {
  const w = new MessageWriter();
  for (const d of dims) w.int(1, d);
  return w.int(2, dataType).bytes(9, raw);
}

function int64Tensor(values: number[]): MessageWriter {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return tensor(INT64, [values.length], raw);
}

function floatScalar(value: number): MessageWriter {
  const raw = new Uint8Array(4);
  new DataView(raw.buffer).setFloat32(0, value, true);
  return tensor(FLOAT, [], raw);
}

/** Builds the appended nodes; names are prefixed so they cannot collide with the model's own. */
class PoolingNodes {
  readonly nodes: MessageWriter[] = [];
  private count = 0;

  add(opType: string, inputs: string[], attributes: Attribute[] = []): string {
    const output = `embedline_pool/${opType.toLowerCase()}_${this.count++}`;
    const node = new MessageWriter();
    for (const input of inputs) node.string(1, input);
    node.string(2, output).string(3, output).string(4, opType);
    for (const a of attributes) node.message(5, attribute(a));
    this.nodes.push(node);
    return output;
  }

  constant(value: MessageWriter): string {
    return this.add('Constant', [], [{ name: 'value', tensor: value }]);
  }

  /** ReduceSum and Unsqueeze take their axes as an input since opset 13 (MIN_OPSET). */
  reduceSum(input: string, axis: number, keepdims: boolean): string {
    return this.add('ReduceSum', [input, this.constant(int64Tensor([axis]))], [{ name: 'keepdims', int: keepdims ? 1 : 0 }]);
  }

  unsqueeze(input: string, axis: number): string {
    return this.add('Unsqueeze', [input, this.constant(int64Tensor([axis]))]);
  }
}

export function defaultOpset(fields: readonly WireField[]): number {
  for (const f of fields.filter((f) => f.field === MODEL_OPSET_IMPORT && f.payload !== undefined)) {
    const entry = readFields(f.payload!);
    const domain = entry.find((e) => e.field === 1)?.payload;
    const name = domain === undefined ? '' : new TextDecoder().decode(domain);
    const version = entry.find((e) => e.field === 2)?.value;
    if ((name === '' || name === 'ai.onnx') && version !== undefined) return Number(version);
  }
  throw new Error('the model imports no default-domain opset');
}

function poolingNodes(options: PoolingGraphOptions): { nodes: MessageWriter[]; output: string } {
  const g = new PoolingNodes();
  const hidden = g.add('Cast', [options.hiddenName], [{ name: 'to', int: FLOAT }]);
  const mask = g.add('Cast', [options.maskName], [{ name: 'to', int: FLOAT }]);
  const summed = g.reduceSum(g.add('Mul', [hidden, g.unsqueeze(mask, 2)]), 1, false);
  const counts = g.add('Max', [g.reduceSum(mask, 1, true), g.constant(floatScalar(1e-9))]);
  let pooled = g.add('Div', [summed, counts]);
  if (options.normalize) {
    const squares = g.reduceSum(g.add('Mul', [pooled, pooled]), 1, true);
    const norm = g.add('Max', [g.add('Sqrt', [squares]), g.constant(floatScalar(1e-12))]);
    pooled = g.add('Div', [pooled, norm]);
  }
  g.nodes.push(new MessageWriter().string(1, pooled).string(2, POOLED_OUTPUT).string(3, POOLED_OUTPUT).string(4, 'Identity'));
  return { nodes: g.nodes, output: POOLED_OUTPUT };
}

function outputInfo(dimension: number): MessageWriter {
  const shape = new MessageWriter()
    .message(1, new MessageWriter().string(2, 'batch_size'))
    .message(1, new MessageWriter().int(1, dimension));
  const tensorType = new MessageWriter().int(1, FLOAT).message(2, shape);
  return new MessageWriter().string(1, POOLED_OUTPUT).message(2, new MessageWriter().message(1, tensorType));
}

/** The names of the graph's inputs and outputs, read from the bytes without loading the model. */
export function graphInterface(model: Uint8Array): { inputs: string[]; outputs: string[]; opset: number } {
  const fields = readFields(model);
  const graph = fields.find((f) => f.field === MODEL_GRAPH)?.payload;
  if (graph === undefined) throw new Error('the model has no graph');
  const nameOf = (info: Uint8Array) => new TextDecoder().decode(readFields(info).find((f) => f.field === 1)?.payload);
  const names = (field: number) =>
    readFields(graph)
      .filter((f) => f.field === field && f.payload !== undefined)
      .map((f) => nameOf(f.payload!));
  return { inputs: names(GRAPH_INPUT), outputs: names(GRAPH_OUTPUT), opset: defaultOpset(fields) };
}

/** The model's bytes with pooling appended and POOLED_OUTPUT added as a graph output. */
export function appendMeanPooling(model: Uint8Array, options: PoolingGraphOptions): Uint8Array {
  const fields = readFields(model);
  const graphs = fields.filter((f) => f.field === MODEL_GRAPH);
  if (graphs.length !== 1 || graphs[0]!.payload === undefined) throw new Error('the model has no single graph');
  const opset = defaultOpset(fields);
  if (opset < MIN_OPSET) throw new Error(`opset ${opset}: pooling is written for opset ${MIN_OPSET} and later`);
  const { nodes } = poolingNodes(options);
  const graph = new MessageWriter().raw(graphs[0]!.payload);
  for (const node of nodes) graph.message(GRAPH_NODE, node);
  graph.message(GRAPH_OUTPUT, outputInfo(options.dimension));
  const out = new MessageWriter();
  for (const f of fields) {
    if (f.field === MODEL_GRAPH) out.message(MODEL_GRAPH, graph);
    else out.raw(f.raw);
  }
  return out.finish();
}
