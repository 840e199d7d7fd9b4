// What the vision tower is fed. encode_image sends CLIP's crops as bytes (`pixel_bytes`,
// [rows, 224, 224, 3] uint8); a prepared tower takes them as they are (byte-input.ts). A
// tower loaded from its source takes `pixel_values`, which is made here, on the model's
// thread, with the same table: one float buffer kept for all runs, not one per batch.

import { normalizeInto } from '../image/normalize.ts';
import type { Feed } from './towers.ts';

export const PIXEL_BYTES = 'pixel_bytes';
export const PIXEL_VALUES = 'pixel_values';

/** Turns byte crops into the float tensor, reusing its buffer while it is large enough. */
export function pixelValuesMaker(): (bytes: Feed) => Feed {
  let buffer = new Float32Array(0);
  return ({ data, dims }) => {
    const [rows, height, width, channels] = dims as [number, number, number, number];
    const plane = height * width;
    if (channels !== 3 || data.length !== rows * plane * 3) throw new Error(`internal error: ${PIXEL_BYTES} of [${dims}] holding ${data.length} values`);
    if (buffer.length < rows * 3 * plane) buffer = new Float32Array(rows * 3 * plane);
    const values = buffer.subarray(0, rows * 3 * plane);
    for (let i = 0; i < rows; i++) normalizeInto((data as Uint8Array).subarray(i * plane * 3, (i + 1) * plane * 3), plane, values, i * 3 * plane);
    return { type: 'float32', data: values, dims: [rows, 3, height, width] };
  };
}
