// The q8 variant (onnx/*_model_quantized.onnx), made from the fp32 graph the way
// transformers.js's scripts/quantize.py makes its "quantized" files: onnxruntime's dynamic
// quantization (quantize_dynamic, QuantizationMode.IntegerOps) with per_channel=True,
// reduce_range=True, and 8-bit weights that are signed (QInt8) unless the model has a Conv, in
// which case unsigned (QUInt8), because onnxruntime's ConvInteger takes only uint8 weights.
// So the text tower gets int8 weights and the vision tower uint8 weights.
//
// What each quantized op becomes, node for node as onnxruntime's ONNXQuantizer writes it:
//
//   MatMul(x, W)  W a float initializer [K, N]:
//     DynamicQuantizeLinear(x) -> x_quantized (uint8), x_scale, x_zero_point   (shared per x)
//     MatMulInteger(x_quantized, W_quantized, x_zero_point, W_zero_point) -> int32
//     Mul(x_scale, W_scale) -> scales; Cast(int32 -> float); Mul(cast, scales) -> y
//     W: per output column (per_channel, axis 1), 7-bit range (MatMulInteger always quantizes
//     its weight with reduce_range): int8 symmetric [-64, 64], zero point 0; uint8
//     asymmetric [0, 127].
//   Conv(x, W)  (the vision patch embedding): the same with ConvInteger, W per tensor.
//   Gather(W, indices)  W a float initializer (the text token and position embeddings):
//     Gather on the uint8 table (per tensor, asymmetric, full 8-bit range), then
//     DequantizeLinear: the embedding table is stored in 8 bits too, as in Xenova's files.
//
// MatMuls of two activations (attention scores and context) stay float32 (quantize_dynamic's
// MatMulConstBOnly default), and so does everything else (LayerNormalization, Softmax, Add,
// the activation). onnxruntime fuses each DynamicQuantizeLinear + MatMulInteger + Cast + Mul
// chain into its com.microsoft DynamicQuantizeMatMul / MatMulIntegerToFloat kernels at session
// creation (graph optimization level 'extended' and above, the default 'all' included).

import { DType, type InitializerIR, type ModelIR, type NodeIR } from './onnx-graph.ts';

export type WeightType = 'int8' | 'uint8';

export interface QuantizeOptions {
  /** Default: 'uint8' when the model has a Conv, else 'int8' (transformers.js's q8 rule). */
  weightType?: WeightType;
  /** Quantize the MatMul weights to 7 bits (default true, as onnxruntime always does). */
  reduceRange?: boolean;
  /** Store the Gather tables (embeddings) in 8 bits too (default true). */
  embeddings?: boolean;
}

interface Quantized {
  data: Int8Array | Uint8Array;
  scale: Float32Array;
  zeroPoint: Int8Array | Uint8Array;
}

/** numpy's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** onnxruntime's get_qmin_qmax_for_qType. */
function qRange(type: WeightType, reduceRange: boolean, symmetric: boolean): [number, number] {
  if (type === 'uint8') return reduceRange ? [0, 127] : [0, 255];
  if (reduceRange) return [-64, 64];
  return symmetric ? [-127, 127] : [-128, 127];
}

/** onnxruntime's compute_scale_zp for one group of values (min and max given). */
function scaleZeroPoint(min: number, max: number, qmin: number, qmax: number, symmetric: boolean): [number, number] {
  let rmin = Math.min(min, 0);
  let rmax = Math.max(max, 0);
  if (symmetric) {
    const absMax = Math.max(-rmin, rmax);
    rmin = -absMax;
    rmax = absMax;
  }
  let scale = Math.fround((rmax - rmin) / (qmax - qmin));
  if (scale === 0 || !Number.isFinite(scale)) scale = 1;
  const zeroPoint = symmetric && qmin < 0 ? 0 : roundHalfEven(qmin - rmin / scale);
  return [scale, zeroPoint];
}

/**
 * Quantizes `values` viewed as [rows, cols] row-major, one scale / zero point per column
 * (`perColumn`) or one for all.
 */
export function quantizeWeights(values: Float32Array, cols: number, type: WeightType, reduceRange: boolean, perColumn: boolean): Quantized {
  const symmetric = type === 'int8'; // onnxruntime's WeightSymmetric default
  const [qmin, qmax] = qRange(type, reduceRange, symmetric);
  const groups = perColumn ? cols : 1;
  const mins = new Float64Array(groups).fill(Infinity);
  const maxs = new Float64Array(groups).fill(-Infinity);
  for (let i = 0; i < values.length; i++) {
    const g = perColumn ? i % cols : 0;
    const v = values[i]!;
    if (v < mins[g]!) mins[g] = v;
    if (v > maxs[g]!) maxs[g] = v;
  }
  const scale = new Float32Array(groups);
  const zeroPoint = type === 'int8' ? new Int8Array(groups) : new Uint8Array(groups);
  for (let g = 0; g < groups; g++) {
    const [s, z] = scaleZeroPoint(mins[g]!, maxs[g]!, qmin, qmax, symmetric);
    scale[g] = s;
    zeroPoint[g] = z;
  }
  const data = type === 'int8' ? new Int8Array(values.length) : new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const g = perColumn ? i % cols : 0;
    const q = roundHalfEven(values[i]! / scale[g]!) + zeroPoint[g]!;
    data[i] = q < qmin ? qmin : q > qmax ? qmax : q;
  }
  return { data, scale, zeroPoint };
}

/** The values the quantized weights stand for (tests). */
export function dequantize(q: Quantized, cols: number): Float32Array {
  const perColumn = q.scale.length > 1;
  const out = new Float32Array(q.data.length);
  for (let i = 0; i < out.length; i++) {
    const g = perColumn ? i % cols : 0;
    out[i] = (q.data[i]! - q.zeroPoint[g]!) * q.scale[g]!;
  }
  return out;
}

/** The q8 model of an fp32 one (see the top of this file). */
export function quantizeDynamic(model: ModelIR, options: QuantizeOptions = {}): ModelIR {
  const weightType: WeightType = options.weightType ?? (model.nodes.some((n) => n.opType === 'Conv') ? 'uint8' : 'int8');
  const floatWeights = new Map<string, InitializerIR>();
  for (const t of model.initializers) if (t.dataType === DType.float) floatWeights.set(t.name, t);

  const nodes: NodeIR[] = [];
  const added: InitializerIR[] = [];
  const quantizedWeights = new Set<string>();
  const dynamic = new Map<string, [string, string, string]>(); // activation -> quantized, scale, zero point
  const node = (name: string, opType: string, inputs: string[], outputs: string[], attrs: NodeIR['attrs'] = {}) =>
    nodes.push({ name, opType, domain: '', inputs, outputs, attrs });

  const quantizeActivation = (x: string): [string, string, string] => {
    let q = dynamic.get(x);
    if (!q) {
      q = [`${x}_quantized`, `${x}_scale`, `${x}_zero_point`];
      node(`${x}_QuantizeLinear`, 'DynamicQuantizeLinear', [x], q);
      dynamic.set(x, q);
    }
    return q;
  };

  const addWeight = (w: InitializerIR, q: Quantized, groupDims: number[]): [string, string, string] => {
    const names: [string, string, string] = [`${w.name}_quantized`, `${w.name}_scale`, `${w.name}_zero_point`];
    added.push({ name: names[0], dims: w.dims, dataType: q.data instanceof Int8Array ? DType.int8 : DType.uint8, data: q.data });
    added.push({ name: names[1], dims: groupDims, dataType: DType.float, data: q.scale });
    added.push({ name: names[2], dims: groupDims, dataType: q.zeroPoint instanceof Int8Array ? DType.int8 : DType.uint8, data: q.zeroPoint });
    quantizedWeights.add(w.name);
    return names;
  };

  /** ConvInteger / MatMulInteger, then back to float as onnxruntime's quantizer writes it. */
  const integerOp = (n: NodeIR, opType: string, w: [string, string, string], attrs: NodeIR['attrs']) => {
    const [xq, xScale, xZero] = quantizeActivation(n.inputs[0]!);
    const y = n.outputs[0]!;
    const integer = `${y}_output_quantized`;
    node(`${n.name}_quant`, opType, [xq, w[0], xZero, w[2]], [integer], attrs);
    node(`${n.name}_quant_scales_mul`, 'Mul', [xScale, w[1]], [`${n.name}_quant_scales_mul:0`]);
    node(`${integer}_cast`, 'Cast', [integer], [`${integer}_cast_output`], { to: { int: DType.float } });
    node(`${n.name}_quant_output_scale_mul`, 'Mul', [`${integer}_cast_output`, `${n.name}_quant_scales_mul:0`], [y]);
  };

  for (const n of model.nodes) {
    const w0 = floatWeights.get(n.inputs[0] ?? '');
    const w1 = floatWeights.get(n.inputs[1] ?? '');
    if (n.opType === 'MatMul' && w1 && w1.dims.length === 2 && !floatWeights.has(n.inputs[0]!)) {
      const cols = w1.dims[1]!;
      const q = quantizeWeights(w1.data as Float32Array, cols, weightType, options.reduceRange ?? true, true);
      integerOp(n, 'MatMulInteger', addWeight(w1, q, [cols]), {});
    } else if (n.opType === 'Conv' && w1 && n.inputs.length === 2) {
      const q = quantizeWeights(w1.data as Float32Array, 1, weightType, true, false);
      integerOp(n, 'ConvInteger', addWeight(w1, q, []), n.attrs);
    } else if (n.opType === 'Gather' && w0 && w0.dims.length === 2 && (options.embeddings ?? true)) {
      const q = quantizeWeights(w0.data as Float32Array, 1, 'uint8', false, false);
      const [wq, scale, zero] = addWeight(w0, q, []);
      const y = n.outputs[0]!;
      node(n.name, 'Gather', [wq, ...n.inputs.slice(1)], [`${y}_quantized`], n.attrs);
      node(`${y}_DequantizeLinear`, 'DequantizeLinear', [`${y}_quantized`, scale, zero], [y]);
    } else {
      nodes.push(n);
    }
  }

  const produced = new Set<string>();
  for (const n of nodes) {
    for (const o of n.outputs) {
      if (produced.has(o)) throw new Error(`modelgen: q8 conversion produced ${o} twice`);
      produced.add(o);
    }
  }
  // Weights now only read in quantized form are dropped; anything else still reading one keeps it.
  const stillRead = new Set(nodes.flatMap((n) => n.inputs));
  const initializers = [...model.initializers.filter((t) => !quantizedWeights.has(t.name) || stillRead.has(t.name)), ...added];
  const opsets = [...model.opsets.filter((o) => o.domain !== 'com.microsoft'), { domain: 'com.microsoft', version: 1 }];
  return { ...model, opsets, nodes, initializers, inputs: [...model.inputs], outputs: [...model.outputs] };
}
