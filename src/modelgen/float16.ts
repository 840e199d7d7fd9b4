// The fp16 variant (onnx/*_model_fp16.onnx), made from the fp32 graph the way transformers.js's
// scripts/quantize.py makes its fp16 files: onnxconverter_common's
// convert_float_to_float16(model, keep_io_types=True).
//
//  - every float32 initializer becomes float16, clamped as the converter clamps it (magnitudes
//    below 5.96e-8 become +-5.96e-8, above 65504 become +-65504: the -3.4e38 attention-mask
//    bias becomes -65504, still "blocked" after Softmax);
//  - the graph inputs and outputs stay float32 (keep_io_types): a Cast to float16 follows each
//    float input and a Cast to float32 precedes each float output, so transformers.js feeds
//    the Float32Array pixel_values it always makes and reads Float32Array embeddings
//    (transformers.js 4.3.1 converts no input to the session's type by itself);
//  - everything in between, LayerNormalization and Softmax included, is declared float16.
//
// onnxruntime's CPU provider has no float16 kernel for some of those ops (MatMul, Conv, ... on
// x86 without AVX512-FP16); its InsertCastTransformer then runs them in float32 between
// Casts at session creation. That is how the real fp16 exports run on CPU, so the file holds
// no such Casts itself.

import { DType, type InitializerIR, type ModelIR, type NodeIR } from './onnx-graph.ts';

/** onnxconverter_common's clamping bounds. */
const MIN_POSITIVE = 5.96e-8;
const MAX_FINITE = 65504;

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** IEEE binary16 bits of a float32 value, rounded to nearest, ties to even. */
function halfBits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf, NaN
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: units of 2^-24.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // a carry into the exponent is right
  return sign | half;
}

/** float32 values as float16 bit patterns, clamped like onnxconverter_common's converter. */
export function toFloat16Bits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let x = values[i]!;
    if (x > 0 && x < MIN_POSITIVE) x = MIN_POSITIVE;
    else if (x < 0 && x > -MIN_POSITIVE) x = -MIN_POSITIVE;
    else if (x > MAX_FINITE && x < Infinity) x = MAX_FINITE;
    else if (x < -MAX_FINITE && x > -Infinity) x = -MAX_FINITE;
    scratch[0] = x;
    out[i] = halfBits(scratchBits[0]!);
  }
  return out;
}

/** float16 bit patterns back to numbers (for tests and checks). */
export function fromFloat16Bits(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    out[i] = exp === 0 ? sign * mant * 2 ** -24 : exp === 0x1f ? (mant ? NaN : sign * Infinity) : sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** The fp16 model of an fp32 one (see the top of this file). Shares no arrays with it. */
export function convertToFloat16(model: ModelIR): ModelIR {
  const rename = new Map<string, string>();
  const inputCasts: NodeIR[] = [];
  model.inputs.forEach((input, i) => {
    if (input.type !== DType.float) return;
    const name = `graph_input_cast_${i}`;
    rename.set(input.name, name);
    inputCasts.push({ name: `graph_input_cast${i}`, opType: 'Cast', domain: '', inputs: [input.name], outputs: [name], attrs: { to: { int: DType.float16 } } });
  });
  const outputCasts: NodeIR[] = [];
  model.outputs.forEach((output, i) => {
    if (output.type !== DType.float) return;
    const name = `graph_output_cast_${i}`;
    rename.set(output.name, name);
    outputCasts.push({ name: `graph_output_cast${i}`, opType: 'Cast', domain: '', inputs: [name], outputs: [output.name], attrs: { to: { int: DType.float } } });
  });
  const renamed = (v: string) => rename.get(v) ?? v;

  for (const node of model.nodes) {
    // A Cast to float32 inside the graph would leave float32 where float16 is now expected.
    if (node.opType === 'Cast' && 'int' in (node.attrs.to ?? {}) && (node.attrs.to as { int: number }).int === DType.float) {
      throw new Error(`modelgen: fp16 conversion does not handle the Cast to float of ${node.name}`);
    }
  }
  const nodes: NodeIR[] = [
    ...inputCasts,
    ...model.nodes.map((n) => ({ ...n, inputs: n.inputs.map(renamed), outputs: n.outputs.map(renamed) })),
    ...outputCasts,
  ];
  const initializers: InitializerIR[] = model.initializers.map((t) =>
    t.dataType === DType.float ? { ...t, dataType: DType.float16, data: toFloat16Bits(t.data as Float32Array) } : t,
  );
  return { ...model, nodes, initializers, inputs: [...model.inputs], outputs: [...model.outputs] };
}
