// The contract between the protocol side and the model side.

/** One row's answer: a vector, a text answer, or the reason the row failed. */
export type Outcome = Float32Array | string | { error: string };

/** Encodes un-escaped argument bytes, one outcome per value, in order. */
export type Encode = (values: Buffer[]) => Promise<Outcome[]>;
