// The contract between the protocol side and the model side.

import type { RunDevice } from '../model/towers.ts';

/** One row's answer: a vector, a text answer, or the reason the row failed. */
export type Outcome = Float32Array | string | { error: string };

/**
 * Hands over vectors that are final before the whole call is: `rows` index the values
 * passed to encode. The caller may print them while the model runs the rest of the call.
 */
export type Ready = (rows: number[], vectors: Float32Array[]) => void;

/** Encodes un-escaped argument bytes, one outcome per value, in order. */
export type Encode = (values: Buffer[], ready?: Ready) => Promise<Outcome[]>;

/** A loaded encoder, and where its model runs ('cpu' for one that has no model). */
export interface Encoder {
  encode: Encode;
  device: RunDevice;
}
