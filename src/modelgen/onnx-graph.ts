// A minimal ONNX graph builder on top of onnx-proto's protobufjs classes.
//
// Weights go in as raw_data views of typed arrays: protobufjs copies each one once into the
// output buffer, whereas float_data number arrays would cost seconds and gigabytes at ViT-B size.

import onnxProto from 'onnx-proto';
import { endianness } from 'node:os';

const { onnx } = onnxProto;

/** ONNX TensorProto.DataType values used by the CLIP towers and their fp16 / q8 variants. */
export const DType = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
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

/** Initializer contents. float16 values are their IEEE binary16 bit patterns in a Uint16Array. */
export type TensorData = Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Uint16Array;

/** A graph in memory, before serialization: what the fp16 and q8 passes rewrite. */
export interface InitializerIR {
  name: string;
  dims: number[];
  dataType: DType;
  data: TensorData;
}

export interface NodeIR {
  name: string;
  opType: string;
  /** '' (the default ONNX domain) or e.g. 'com.microsoft'. */
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

export interface ValueIR {
  name: string;
  type: DType;
  dims: Dim[];
}

export interface ModelIR {
  graphName: string;
  producerName: string;
  opsets: Array<{ domain: string; version: number }>;
  /** In topological order. */
  nodes: NodeIR[];
  initializers: InitializerIR[];
  inputs: ValueIR[];
  outputs: ValueIR[];
}

export interface Graph {
  /** Declares a graph input and returns its name. */
  input(name: string, type: DType, dims: Dim[]): string;
  /** Declares an existing value as a graph output. */
  output(name: string, type: DType, dims: Dim[]): void;
  /**
   * Adds an initializer (a weight or a constant) and returns its name. The ONNX type follows
   * from the array (Uint16Array needs `dataType`: it holds float16 bits).
   */
  initializer(name: string, dims: number[], data: TensorData, dataType?: DType): string;
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
  /** The graph built so far, in memory (shares the weight arrays). */
  model(): ModelIR;
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
  if (data instanceof Int32Array) return DType.int32;
  if (data instanceof Uint8Array) return DType.uint8;
  if (data instanceof Int8Array) return DType.int8;
  throw new Error('modelgen: a Uint16Array initializer needs its dataType (float16)');
}

const ELEMENT_BYTES: Record<DType, number> = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 9: 1, 10: 2 };

/** Checks an initializer's array against its declared type and shape. */
export function checkInitializer(init: InitializerIR): void {
  const expected = init.dims.reduce((a, b) => a * b, 1);
  if (init.data.length !== expected) {
    throw new Error(`modelgen: initializer ${init.name} has ${init.data.length} values, dims [${init.dims}] need ${expected}`);
  }
  if (init.data.BYTES_PER_ELEMENT !== ELEMENT_BYTES[init.dataType]) {
    throw new Error(`modelgen: initializer ${init.name} of ONNX type ${init.dataType} cannot hold ${init.data.constructor.name}`);
  }
}

/** Serializes a model held in memory as an ONNX ModelProto. */
export function encodeModel(m: ModelIR): Uint8Array {
  // raw_data is little-endian by the ONNX spec; typed-array bytes are host order.
  if (endianness() !== 'LE') throw new Error('modelgen: big-endian hosts are not supported');
  const model: onnxProto.onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: m.opsets.map((o) => ({ domain: o.domain, version: o.version })),
    producerName: m.producerName,
    producerVersion: '1',
    graph: {
      name: m.graphName,
      node: m.nodes.map((n) => ({
        name: n.name,
        opType: n.opType,
        ...(n.domain && { domain: n.domain }),
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)),
      })),
      initializer: m.initializers.map((t) => {
        checkInitializer(t);
        return {
          name: t.name,
          dims: t.dims,
          dataType: t.dataType,
          rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
        };
      }),
      input: m.inputs.map((v) => valueInfo(v.name, v.type, v.dims)),
      output: m.outputs.map((v) => valueInfo(v.name, v.type, v.dims)),
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

export function createGraph(graphName: string, producerName: string): Graph {
  const nodes: NodeIR[] = [];
  const initializers: InitializerIR[] = [];
  const inputs: ValueIR[] = [];
  const outputs: ValueIR[] = [];
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
      inputs.push({ name: claim(name), type, dims });
      return name;
    },
    output(name, type, dims) {
      if (!taken.has(name)) throw new Error(`modelgen: output ${name} is not produced by the graph`);
      outputs.push({ name, type, dims });
    },
    initializer(name, dims, data, dataType) {
      const init: InitializerIR = { name, dims, dataType: dataType ?? dataTypeOf(data), data };
      checkInitializer(init);
      claim(name);
      initializers.push(init);
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
      nodes.push({ name: `${graph.scope}/${type}_${id}`, opType: type, domain: '', inputs: opInputs, outputs: [output], attrs });
      return output;
    },
    model() {
      return {
        graphName,
        producerName,
        opsets: [{ domain: '', version: OPSET }],
        nodes: [...nodes],
        initializers: [...initializers],
        inputs: [...inputs],
        outputs: [...outputs],
      };
    },
    encode() {
      return encodeModel(graph.model());
    },
  };
  return graph;
}
