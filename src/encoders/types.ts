// The contract between the protocol side and the model side.

/** What an encoder gives for one row: a vector, or the reason the row failed. */
export type Outcome = Float32Array | { error: string };

/** Encodes un-escaped argument bytes, one outcome per value, in order. */
export type Encode = (values: Buffer[]) => Promise<Outcome[]>;
