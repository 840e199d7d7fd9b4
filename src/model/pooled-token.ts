// The end of a prepared tower, run for the one token its embedding is pooled from. CLIP's
// embedding is one token of the encoder's output, projected: the vision tower's class token
// (a Gather, axis 1, index 0), the text tower's end token (a GatherND at the argmax of the ids).
// The export runs the last layer's attention output projection and its MLP (and the text
// tower's final LayerNorm) for every token, then keeps one: 5% of ViT-B/32's vision work
// (49 of 50 tokens), and of a text batch's last layer all but one token a caption. Those
// operations act on each token alone (a MatMul with a weight, a bias, a LayerNorm over the
// width, an activation, a residual Add), so picking the token first and running them on it
// gives the same numbers: with onnxruntime 1.30 (2-core EPYC) the embeddings were
// bit-identical for batches of 1 to 16, the bare vision tower took 45.7 -> 43.2 ms a photo and
// the bare text tower 5% less time over batches of 6 to 77 tokens.
// prepare.ts still checks each cut copy against the whole one on the machine that makes it,
// and keeps the whole one where they differ in a single bit.
//
// Which nodes move is read from the graph, not from node names: going back from the pick, a
// node moves when it is one of the per-token operations below and everything its outputs feed
// has moved too. What such a node reads from outside (the residual stream, the attention heads
// merged back into [batch, tokens, width]) is narrowed to the picked token where it enters.
// Outputs other than the embedding are dropped from the copy (the scripts fetch the embedding
// alone), so last_hidden_state no longer holds the tail back. The quantized towers are left
// whole: the check fails on them (a per-tensor scale, a scalar, would be narrowed too), and
// their last layer's MatMulIntegers could not move anyway.

import onnxProto from 'onnx-proto';
import { GRAPH_INITIALIZER, GRAPH_NODE, GRAPH_OUTPUT, graphFieldsOf, lengthDelimited, withGraphFields, type Field } from './onnx-fields.ts';

const { onnx } = onnxProto;
type Node = onnxProto.onnx.NodeProto;
type Tensor = onnxProto.onnx.ITensorProto;

// Per-token operations, by the inputs they take: activations of [batch, tokens, ...] (any
// number), constants broadcast along the width (rank 0 or 1), and weights.
const UNARY = new Set(['Identity', 'Cast', 'Sigmoid', 'Tanh', 'Erf', 'Relu', 'Sqrt', 'Reciprocal', 'Neg', 'Exp', 'Abs']);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow']);

const SUFFIX = '/pooled_token';

interface GraphNode {
  field: Field;
  node: Node;
}

/**
 * `model` (a tower's ModelProto, weights outside it) with the operations after its last
 * token-mixing step run on the pooled token only, and no output but `output`; null when the
 * graph has no such output, does not pool it from one token, or leaves nothing to cut.
 */
export function withPooledTokenTail(model: Uint8Array, output: string): Uint8Array | null {
  const fields = graphFieldsOf(model);
  if (!fields) return null;
  const all: GraphNode[] = fields.filter((f) => f.number === GRAPH_NODE && f.body).map((field) => ({ field, node: onnx.NodeProto.decode(field.body!) }));
  const outputs = fields.filter((f) => f.number === GRAPH_OUTPUT && f.body).map((field) => ({ field, name: onnx.ValueInfoProto.decode(field.body!).name }));
  if (!outputs.some((o) => o.name === output)) return null;
  // With the other outputs gone, so are the nodes only they needed (a Cast to last_hidden_state).
  const nodes = liveFor(output, all);
  const constants = constantsOf(fields, nodes.map((n) => n.node));
  const producer = new Map<string, Node>();
  const consumers = new Map<string, Node[]>();
  for (const { node } of nodes) {
    node.output.forEach((t) => producer.set(t, node));
    node.input.forEach((t) => consumers.set(t, [...(consumers.get(t) ?? []), node]));
  }

  const pick = pickOf(output, producer, constants);
  if (!pick) return null;
  const data = pick.input[0]!;
  const at = nodes.findIndex((n) => n.node === pick);
  const moved = new Set<Node>();
  // The pick's data counts as moved; its indices do not (the text tower's come from the ids).
  const feedsOnlyMoved = (t: string) => (consumers.get(t) ?? []).length > 0 && consumers.get(t)!.every((c) => (c === pick ? t === data && !pick.input.slice(1).includes(t) : moved.has(c)));
  // Nodes are in topological order: a node's consumers come after it.
  for (let i = at - 1; i >= 0; i--) {
    const { node } = nodes[i]!;
    if (perToken(node, constants) && node.output.every((t) => t !== output && feedsOnlyMoved(t))) moved.add(node);
  }
  if (moved.size === 0) return null;

  const made = new Set([...moved].flatMap((n) => n.output));
  const entering = [...new Set([...moved].flatMap((n) => n.input.filter((t) => t !== '' && !made.has(t) && !constants.has(t))))];
  const renamed = (t: string) => (made.has(t) || entering.includes(t) ? `${t}${SUFFIX}` : t);
  const { before, enter, after, shapes } = narrowing(pick);
  const encodeNode = (n: onnxProto.onnx.INodeProto) => lengthDelimited(GRAPH_NODE, onnx.NodeProto.encode(n).finish());
  const tail = [
    ...before,
    ...entering.map((t) => enter(t, `${t}${SUFFIX}`)),
    ...nodes.filter((n) => moved.has(n.node)).map(({ node: n }) => ({ ...n, name: `${n.name}${SUFFIX}`, input: n.input.map(renamed), output: n.output.map(renamed) })),
    ...after(renamed(data)),
  ].map(encodeNode);
  const kept = new Set(nodes.filter((n) => !moved.has(n.node)).map((n) => n.field));
  const dropped = new Set<Field>([...all.filter((n) => !kept.has(n.field)).map((n) => n.field), ...outputs.filter((o) => o.name !== output).map((o) => o.field)]);
  const pickField = nodes[at]!.field;
  const constantsAdded = shapes.map((name) => lengthDelimited(GRAPH_INITIALIZER, onnx.TensorProto.encode({
    name: NAME(name), dims: [SHAPES[name].length], dataType: onnx.TensorProto.DataType.INT64, rawData: Buffer.from(BigInt64Array.from(SHAPES[name], BigInt).buffer),
  }).finish()));
  // The tail goes where the pick was: everything it reads is made before that.
  return withGraphFields(model, [...fields.flatMap((f) => (f === pickField ? tail : dropped.has(f) ? [] : [f.bytes])), ...constantsAdded]);
}

// The tail's tensors keep a token axis, [batch, 1, width] (or [batch, 1, 1, width], see
// narrowing): on [batch, width] onnxruntime fuses a MatMul and its bias into a Gemm, which
// rounds differently (embeddings off by up to 1e-6).
const NAME = (part: string) => `/clickhouse_clip/pooled_token/${part}`;
const SHAPES = { zero: [0], one: [1], one_index: [0, 1, 1, 1], row_and_index: [0, 1, 1, 2], rows: [0, -1] } as const;

/**
 * How the tail narrows to the picked token: the nodes it needs first, the node that takes a
 * tensor entering the tail to the one token, and the nodes that make the pick's output from
 * the tail's end.
 */
function narrowing(pick: Node): {
  before: onnxProto.onnx.INodeProto[];
  enter: (t: string, out: string) => onnxProto.onnx.INodeProto;
  after: (x: string) => onnxProto.onnx.INodeProto[];
  /** The constants of SHAPES these nodes read. */
  shapes: Array<keyof typeof SHAPES>;
} {
  if (pick.opType === 'Gather') {
    // Token 0: the entering tensors are sliced to it, and the pick takes it as before.
    return {
      before: [],
      enter: (t, out) => ({ name: out, opType: 'Slice', input: [t, NAME('zero'), NAME('one'), NAME('one')], output: [out] }),
      after: (x) => [{ ...pick, input: [x, ...pick.input.slice(1)] }],
      shapes: ['zero', 'one'],
    };
  }
  // GatherND, one token a row ([batch, k]: the token, or row and token): as [batch, 1, 1, k] it
  // picks [batch, 1, 1, width].
  // Not [batch, 1, width]: onnxruntime fuses a residual Add and the LayerNorm after it into a
  // SkipLayerNormalization (which rounds differently) where both are 3-D of known sizes but the
  // batch, and the whole text graph's sequence length is not known.
  const perRow = `${pick.input[1]}${SUFFIX}`;
  const shape = Number(attr(pick, 'batch_dims')?.i ?? 0) === 1 ? 'one_index' : 'row_and_index';
  return {
    before: [{ name: perRow, opType: 'Reshape', input: [pick.input[1]!, NAME(shape)], output: [perRow] }],
    enter: (t, out) => ({ ...pick, name: out, input: [t, perRow], output: [out] }),
    after: (x) => [{ name: pick.name, opType: 'Reshape', input: [x, NAME('rows')], output: pick.output }],
    shapes: [shape, 'rows'],
  };
}

/** The nodes `output` depends on, in their order. */
function liveFor(output: string, nodes: GraphNode[]): GraphNode[] {
  const needed = new Set([output]);
  const live = new Set<GraphNode>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.node.output.some((t) => needed.has(t))) continue;
    live.add(n);
    n.node.input.forEach((t) => needed.add(t));
  }
  return nodes.filter((n) => live.has(n));
}

/** Constants by name: their dims, and their values where they are a few integers. */
interface Constant {
  dims: number[];
  ints?: number[];
}

function constantsOf(fields: Field[], nodes: Node[]): Map<string, Constant> {
  const out = new Map<string, Constant>();
  const add = (name: string, t: Tensor) => out.set(name, { dims: (t.dims ?? []).map(Number), ints: intsOf(t) });
  for (const f of fields) {
    if (f.number !== GRAPH_INITIALIZER || !f.body) continue;
    const t = onnx.TensorProto.decode(f.body);
    add(t.name, t);
  }
  for (const n of nodes) {
    // A weight stored in another precision and cast at run time (onnxruntime's fp16 copies).
    if ((n.opType === 'Cast' || n.opType === 'Identity') && !n.domain && out.has(n.input[0] ?? '')) out.set(n.output[0]!, { dims: out.get(n.input[0]!)!.dims });
    if (n.opType !== 'Constant' || n.domain) continue;
    const a = n.attribute[0];
    if (a?.name === 'value' && a.t) add(n.output[0]!, a.t);
    else if (a?.name === 'value_int' || a?.name === 'value_float') out.set(n.output[0]!, { dims: [], ints: a.name === 'value_int' ? [Number(a.i)] : undefined });
    else if (a?.name === 'value_ints') out.set(n.output[0]!, { dims: [a.ints?.length ?? 0], ints: (a.ints ?? []).map(Number) });
    else if (a?.name === 'value_floats') out.set(n.output[0]!, { dims: [a.floats?.length ?? 0] });
  }
  return out;
}

function intsOf(t: Tensor): number[] | undefined {
  const { INT64, INT32 } = onnx.TensorProto.DataType;
  if (t.dataType === INT64 && t.int64Data?.length) return t.int64Data.map(Number);
  if (t.dataType === INT32 && t.int32Data?.length) return t.int32Data.map(Number);
  const raw = t.rawData;
  if (!raw?.length) return undefined;
  const view = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (t.dataType === INT64 && raw.length % 8 === 0) return Array.from({ length: raw.length / 8 }, (_, i) => Number(view.readBigInt64LE(i * 8)));
  if (t.dataType === INT32 && raw.length % 4 === 0) return Array.from({ length: raw.length / 4 }, (_, i) => view.readInt32LE(i * 4));
  return undefined;
}

function attr(n: Node, name: string): onnxProto.onnx.IAttributeProto | undefined {
  return n.attribute.find((a) => a.name === name);
}

/**
 * The node on the way to `output` that picks one token of [batch, tokens, width]: a Gather on
 * axis 1 at one constant index (the class token), or a GatherND of one token a row (the end
 * token: with one batch dimension, indices [batch, 1]; without, [batch, 2] pairs of row and
 * token, as torch exports `x[arange(batch), argmax]`); null when the first gather met is neither.
 */
function pickOf(output: string, producer: Map<string, Node>, constants: Map<string, Constant>): Node | null {
  const seen = new Set<string>();
  const queue = [output];
  while (queue.length > 0) {
    const t = queue.shift()!;
    const n = producer.get(t);
    if (!n || seen.has(t)) continue;
    seen.add(t);
    if (n.domain === '' && n.opType === 'Gather') {
      const index = constants.get(n.input[1] ?? '');
      const one = index && index.dims.length <= 1 && index.ints?.length === 1 && index.ints[0] === 0;
      return one && Number(attr(n, 'axis')?.i ?? 0) === 1 ? n : null;
    }
    if (n.domain === '' && n.opType === 'GatherND') return Number(attr(n, 'batch_dims')?.i ?? 0) <= 1 ? n : null;
    queue.push(...n.input.filter((i) => i !== '' && !constants.has(i)));
  }
  return null;
}

/** Whether `n` treats each token of its activations on its own, given what it reads. */
function perToken(n: Node, constants: Map<string, Constant>): boolean {
  if (n.domain) return false;
  const [x, ...rest] = n.input;
  const activation = (t: string | undefined) => t !== undefined && t !== '' && !constants.has(t);
  const broadcast = (t: string) => (constants.get(t)?.dims.length ?? 2) <= 1;
  switch (n.opType) {
    case 'MatMul':
      return activation(x) && rest.length === 1 && constants.get(rest[0]!)?.dims.length === 2;
    case 'LayerNormalization':
      return activation(x) && Number(attr(n, 'axis')?.i ?? -1) === -1 && rest.every(broadcast) && n.output.filter((t) => t !== '').length === 1;
    case 'ReduceMean': {
      const axes = attr(n, 'axes')?.ints?.map(Number) ?? constants.get(rest[0] ?? '')?.ints;
      return activation(x) && axes?.length === 1 && axes[0] === -1 && Number(attr(n, 'keepdims')?.i ?? 1) === 1;
    }
    default:
      if (UNARY.has(n.opType)) return activation(x) && rest.length === 0;
      // Activations on both sides (a residual Add) or one, with a constant along the width.
      return BINARY.has(n.opType) && n.input.some(activation) && n.input.every((t) => activation(t) || broadcast(t));
  }
}
