// The vision tower's input as bytes. encode_image hands the model CLIP's 224x224 RGB crops,
// 150 KB a photo, instead of the normalized float tensor, 600 KB a photo: two batches are in
// flight at once (one running, one being decoded), and 8 photos of floats are 4.8 MB each.
// A prepared vision tower (prepared.ts) therefore gets a byte input, `pixel_bytes`
// [batch, 224, 224, 3] uint8, and five nodes in front that make `pixel_values` from it the
// way torch does: transposed to [batch, 3, 224, 224], x / 255, minus the mean, divided by the
// std, each a float32 operation rounded once, so the tensor is the one normalizeInto (which
// evaluates the same chain per byte value) would have written, bit for bit. (A table lookup
// by Gather gave the same bits but cost 2-5% of encode_image's photos/s.) The rest of the
// graph is not touched: its bytes are copied through, so nothing an older schema would not
// know is lost on the way.

import onnxProto from 'onnx-proto';
import { PIXEL_BYTES, PIXEL_VALUES } from './pixel-feed.ts';

const { onnx } = onnxProto;

// Field numbers in onnx.proto.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const LENGTH_DELIMITED = 2;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const UINT8 = onnx.TensorProto.DataType.UINT8;

interface Field {
  number: number;
  /** The whole field as it was read: tag, length and body. */
  bytes: Uint8Array;
  /** A length-delimited field's body. */
  body?: Uint8Array;
}

function readVarint(buf: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  for (let shift = 0; shift < 64; shift += 7) {
    if (at >= buf.length) throw new Error('truncated varint');
    const byte = buf[at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
  }
  throw new Error('varint longer than 10 bytes');
}

/** The top-level fields of a protobuf message, in order. */
function fieldsOf(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at < buf.length) {
    const start = at;
    const [tag, afterTag] = readVarint(buf, at);
    at = afterTag;
    const wire = tag % 8;
    let body: Uint8Array | undefined;
    if (wire === 0) at = readVarint(buf, at)[1];
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === LENGTH_DELIMITED) {
      const [length, afterLength] = readVarint(buf, at);
      body = buf.subarray(afterLength, afterLength + length);
      at = afterLength + length;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    if (at > buf.length) throw new Error('truncated field');
    out.push({ number: Math.floor(tag / 8), bytes: buf.subarray(start, at), body });
  }
  return out;
}

function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

function lengthDelimited(number: number, body: Uint8Array): Uint8Array {
  return Buffer.concat([Uint8Array.from([...varint(number * 8 + LENGTH_DELIMITED), ...varint(body.length)]), body]);
}

/** float32 raw_data, which is little-endian whatever the host. */
function floatsLE(values: readonly number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeFloatLE(v, i * 4));
  return out;
}

function isFloatImageInput(info: onnxProto.onnx.ValueInfoProto): boolean {
  const tensor = info.type?.tensorType;
  const dims = tensor?.shape?.dim ?? [];
  return tensor?.elemType === FLOAT && dims.length === 4 && Number(dims[1]!.dimValue) === 3 && Number(dims[2]!.dimValue) > 0 && Number(dims[3]!.dimValue) > 0;
}

/**
 * `model` (an ONNX ModelProto) with its float `pixel_values` [batch, 3, H, W] input replaced by
 * `pixel_bytes` [batch, H, W, 3] uint8, each byte v of channel c becoming (v / 255 - mean[c]) /
 * std[c] in float32; null when the graph has no such input (a text tower), or takes bytes already.
 */
export function withByteInput(model: Uint8Array, mean: readonly number[], std: readonly number[]): Uint8Array | null {
  const top = fieldsOf(model);
  const graph = top.find((f) => f.number === MODEL_GRAPH && f.body);
  if (!graph) return null;
  const fields = fieldsOf(graph.body!);
  const inputs = fields.filter((f) => f.number === GRAPH_INPUT && f.body).map((f) => ({ field: f, info: onnx.ValueInfoProto.decode(f.body!) }));
  const pixels = inputs.find((i) => i.info.name === PIXEL_VALUES);
  if (!pixels || !isFloatImageInput(pixels.info) || inputs.some((i) => i.info.name === PIXEL_BYTES)) return null;

  const [batch, , height, width] = pixels.info.type!.tensorType!.shape!.dim!;
  const name = (part: string) => `/clickhouse_clip/pixel_bytes/${part}`;
  const { INT, INTS } = onnx.AttributeProto.AttributeType;
  const nodes = [
    // Bytes are the cheap ones to move into [batch, 3, H, W].
    { opType: 'Transpose', input: [PIXEL_BYTES], output: [name('chw')], attribute: [{ name: 'perm', type: INTS, ints: [0, 3, 1, 2] }] },
    { opType: 'Cast', input: [name('chw')], output: [name('float')], attribute: [{ name: 'to', type: INT, i: FLOAT }] },
    // ToTensor, then Normalize: three float32 operations, each rounded as torch rounds them.
    { opType: 'Div', input: [name('float'), name('255')], output: [name('unit')], attribute: [] },
    { opType: 'Sub', input: [name('unit'), name('mean')], output: [name('centered')], attribute: [] },
    { opType: 'Div', input: [name('centered'), name('std')], output: [PIXEL_VALUES], attribute: [] },
  ].map((n) => lengthDelimited(GRAPH_NODE, onnx.NodeProto.encode({ name: n.output[0], ...n }).finish()));
  const initializers = [
    { name: name('255'), dims: [], values: [255] },
    { name: name('mean'), dims: [3, 1, 1], values: mean },
    { name: name('std'), dims: [3, 1, 1], values: std },
  ].map(({ name, dims, values }) => lengthDelimited(GRAPH_INITIALIZER, onnx.TensorProto.encode({ name, dims, dataType: FLOAT, rawData: floatsLE(values) }).finish()));
  const input = lengthDelimited(GRAPH_INPUT, onnx.ValueInfoProto.encode({
    name: PIXEL_BYTES,
    type: { tensorType: { elemType: UINT8, shape: { dim: [batch!, height!, width!, { dimValue: 3 }] } } },
  }).finish());

  // The new nodes come first, so the node list stays in topological order.
  const body = Buffer.concat([...nodes, ...fields.filter((f) => f !== pixels.field).map((f) => f.bytes), ...initializers, input]);
  return Buffer.concat(top.map((f) => (f === graph ? lengthDelimited(MODEL_GRAPH, body) : f.bytes)));
}
