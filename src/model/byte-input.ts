// The vision tower's input as bytes. encode_image hands the model CLIP's 224x224 RGB crops,
// 150 KB a photo, instead of the normalized float tensor, 600 KB a photo: two batches are in
// flight at once (one running, one being decoded), and 8 photos of floats are 4.8 MB each.
// A prepared vision tower (prepared.ts) therefore gets a byte input, `pixel_bytes`
// [batch, 224, 224, 3] uint8, and five nodes in front that make `pixel_values` from it the
// way torch does: transposed to [batch, 3, 224, 224], x / 255, minus the mean, divided by the
// std, each a float32 operation rounded once, so the tensor is the one normalizeInto (which
// evaluates the same chain per byte value) would have written, bit for bit. (A table lookup
// by Gather gave the same bits but cost 2-5% of encode_image's photos/s.) The rest of the
// graph is copied through as it was (onnx-fields.ts).

import onnxProto from 'onnx-proto';
import { GRAPH_INITIALIZER, GRAPH_INPUT, GRAPH_NODE, graphFieldsOf, lengthDelimited, withGraphFields } from './onnx-fields.ts';
import { PIXEL_BYTES, PIXEL_VALUES } from './pixel-feed.ts';

const { onnx } = onnxProto;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const UINT8 = onnx.TensorProto.DataType.UINT8;

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
  const fields = graphFieldsOf(model);
  if (!fields) return null;
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
  return withGraphFields(model, [...nodes, ...fields.filter((f) => f !== pixels.field).map((f) => f.bytes), ...initializers, input]);
}
