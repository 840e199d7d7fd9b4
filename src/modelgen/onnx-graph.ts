// A minimal ONNX graph builder on top of onnx-proto's protobufjs classes.
//
// Weights go in as raw_data views of typed arrays: protobufjs copies each one once into the
// output buffer, whereas float_data number arrays would cost seconds and gigabytes at ViT-B size.

import onnxProto from 'onnx-proto';
import { endianness } from 'node:os';

const { onnx } = onnxProto;

/** ONNX TensorProto.DataType values used by the CLIP towers. */
export const DType = {
  float: 1,
  int32: 6,
  int64: 7,
  bool: 9,
} as const;
export type DType = (typeof DType)[keyof typeof DType];

/** A dimension: a fixed size, or a named dynamic axis such as "batch_size". */
export type Dim = number | string;

/** Attribute values; ints and floats are tagged because JS numbers cannot tell 1 from 1.0. */
export type Attr = { int: number } | { float: number } | { ints: number[] };
export const int = (value: number): Attr => ({ int: value });
export const float = (value: number): Attr => ({ float: value });
export const ints = (values: number[]): Attr => ({ ints: values });

// Opset 17 (ONNX 1.12, IR version 8) is the first with LayerNormalization. onnxruntime 1.30
// accepts newer ones; staying at the oldest that has it keeps older runtimes able to load
// the files, and IR 8 is also the newest that onnx-proto's ONNX 1.10 schema describes.
export const IR_VERSION = 8;
export const OPSET = 17;

type TensorData = Float32Array | BigInt64Array | Int32Array;

export interface Graph {
  /** Declares a graph input and returns its name. */
  input(name: string, type: DType, dims: Dim[]): string;
  /** Declares an existing value as a graph output. */
  output(name: string, type: DType, dims: Dim[]): void;
  /** Adds an initializer (a weight or a constant) and returns its name. */
  initializer(name: string, dims: number[], data: TensorData): string;
  /**
   * Adds a 1-D (or scalar when `scalar`) int64 constant. Constants are shared: asking again
   * for the same name and value returns the existing one, so layers need not coordinate.
   */
  int64s(name: string, values: number[], scalar?: boolean): string;
  /** Adds a shared float scalar constant (see int64s). */
  floatScalar(name: string, value: number): string;
  /**
   * Adds a single-output node and returns the output's name: `out` when given, otherwise a
   * unique name derived from `scope` and the op type.
   */
  op(type: string, inputs: string[], attrs?: Record<string, Attr>, out?: string): string;
  /** Prefix for generated value and node names, e.g. "/text_model/encoder/layers/0". */
  scope: string;
  /** Serializes the graph as an ONNX ModelProto. */
  encode(): Uint8Array;
}

function valueInfo(name: string, type: DType, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: type,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, attr: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in attr) return { name, type: T.INT, i: attr.int };
  if ('float' in attr) return { name, type: T.FLOAT, f: attr.float };
  return { name, type: T.INTS, ints: attr.ints };
}

function dataTypeOf(data: TensorData): DType {
  if (data instanceof Float32Array) return DType.float;
  if (data instanceof BigInt64Array) return DType.int64;
  return DType.int32;
}

export function createGraph(graphName: string, producerName: string): Graph {
  // raw_data is little-endian by the ONNX spec; typed-array bytes are host order.
  if (endianness() !== 'LE') throw new Error('modelgen: big-endian hosts are not supported');

  const nodes: onnxProto.onnx.INodeProto[] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  const inputs: onnxProto.onnx.IValueInfoProto[] = [];
  const outputs: onnxProto.onnx.IValueInfoProto[] = [];
  const taken = new Set<string>();
  const constants = new Map<string, string>(); // name -> printed value, to share or reject
  let counter = 0;

  const claim = (name: string): string => {
    if (taken.has(name)) throw new Error(`modelgen: duplicate ONNX value name ${name}`);
    taken.add(name);
    return name;
  };

  const constant = (name: string, printed: string, add: () => string): string => {
    const existing = constants.get(name);
    if (existing === undefined) {
      constants.set(name, printed);
      return add();
    }
    if (existing !== printed) throw new Error(`modelgen: constant ${name} redefined as ${printed}, was ${existing}`);
    return name;
  };

  const graph: Graph = {
    scope: '',
    input(name, type, dims) {
      inputs.push(valueInfo(claim(name), type, dims));
      return name;
    },
    output(name, type, dims) {
      if (!taken.has(name)) throw new Error(`modelgen: output ${name} is not produced by the graph`);
      outputs.push(valueInfo(name, type, dims));
    },
    initializer(name, dims, data) {
      const expected = dims.reduce((a, b) => a * b, 1);
      if (data.length !== expected) {
        throw new Error(`modelgen: initializer ${name} has ${data.length} values, dims [${dims}] need ${expected}`);
      }
      initializers.push({
        name: claim(name),
        dims,
        dataType: dataTypeOf(data),
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      });
      return name;
    },
    int64s(name, values, scalar = false) {
      return constant(name, `int64${scalar ? '' : '[]'}:${values}`, () =>
        graph.initializer(name, scalar ? [] : [values.length], BigInt64Array.from(values, BigInt)),
      );
    },
    floatScalar(name, value) {
      return constant(name, `float:${value}`, () => graph.initializer(name, [], Float32Array.of(value)));
    },
    op(type, opInputs, attrs = {}, out) {
      const id = counter++;
      const output = claim(out ?? `${graph.scope}/${type}_${id}_output_0`);
      nodes.push({
        name: `${graph.scope}/${type}_${id}`,
        opType: type,
        input: opInputs,
        output: [output],
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      });
      return output;
    },
    encode() {
      const model: onnxProto.onnx.IModelProto = {
        irVersion: IR_VERSION,
        opsetImport: [{ domain: '', version: OPSET }],
        producerName,
        producerVersion: '1',
        graph: { name: graphName, node: nodes, initializer: initializers, input: inputs, output: outputs },
      };
      return onnx.ModelProto.encode(model).finish();
    },
  };
  return graph;
}
