// An ONNX model as protobuf fields, for the edits prepare.ts makes to a prepared copy: each
// edit decodes the few messages it reads or changes and copies every other field through as
// the bytes it was, so nothing onnx-proto's older schema does not know is lost on the way.

// Field numbers in onnx.proto.
export const MODEL_GRAPH = 7;
export const GRAPH_NODE = 1;
export const GRAPH_INITIALIZER = 5;
export const GRAPH_INPUT = 11;
export const GRAPH_OUTPUT = 12;
const LENGTH_DELIMITED = 2;

export interface Field {
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
export function fieldsOf(buf: Uint8Array): Field[] {
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

/** A length-delimited field: a message or bytes. */
export function lengthDelimited(number: number, body: Uint8Array): Uint8Array {
  return Buffer.concat([Uint8Array.from([...varint(number * 8 + LENGTH_DELIMITED), ...varint(body.length)]), body]);
}

/** The model's graph fields, or null when it has no graph. */
export function graphFieldsOf(model: Uint8Array): Field[] | null {
  const graph = fieldsOf(model).find((f) => f.number === MODEL_GRAPH && f.body);
  return graph ? fieldsOf(graph.body!) : null;
}

/** `model` with its graph's fields replaced by `fields` (already serialized). */
export function withGraphFields(model: Uint8Array, fields: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(fields);
  return Buffer.concat(fieldsOf(model).map((f) => (f.number === MODEL_GRAPH && f.body ? lengthDelimited(MODEL_GRAPH, body) : f.bytes)));
}
