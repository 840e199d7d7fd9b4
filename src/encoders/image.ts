// encode_image: a source per row -> file bytes -> CLIP crops -> vision tower -> vectors.
// A row that cannot be read or decoded fails alone; the rest of the batch runs.

import { availableParallelism } from 'node:os';
import { loadDecoder } from '../image/decode.ts';
import { CLIP_CROP_BYTES, CLIP_IMAGE_SIZE } from '../image/preprocess.ts';
import { batchSizeOn, type CliOptions } from '../options.ts';
import { loadTower } from '../model/towers.ts';
import { PIXEL_BYTES } from '../model/pixel-feed.ts';
import { mapLimit } from '../sources/index.ts';
import { rowsOf } from './l2.ts';
import { decodeWorkers } from './decode-workers.ts';
import { pixelLoader } from './pixels.ts';
import type { Encode, Encoder, Outcome } from './types.ts';

// Rows of a call read at once: bounds open connections and fetched bytes, but must
// keep every core decoding. Decoding, where the memory goes, has its own bound of
// one per core (pixels.ts).
export const CONCURRENCY = Math.max(8, availableParallelism());

export async function createImageEncoder(options: CliOptions, log: (line: string) => void): Promise<Encoder> {
  // The model's thread starts first; libvips loads here meanwhile.
  const [{ run: model, device }] = await Promise.all([loadTower('vision', options, log), loadDecoder()]);
  // On the CPU onnxruntime already fills the cores: decoding on the main thread in the
  // gaps is as fast and saves the workers' memory. A GPU leaves the cores to us.
  const threads = options.image.decodeThreads ?? (device === 'cpu' ? 0 : Math.max(1, availableParallelism() - 1));
  const load = pixelLoader(options.image, threads > 0 ? decodeWorkers(threads, new URL('./preprocess_worker.mjs', import.meta.url)) : undefined);
  const perRun = batchSizeOn(options.batchSize, device);
  const buffers = batchBuffers();
  const encodeRun: Encode = async (values) => {
    const started = performance.now();
    const crops = buffers.take(values.length);
    const errors = await mapLimit(values, CONCURRENCY, (v, i) => load(v, crops, i));
    const decoded = performance.now();
    const good = errors.flatMap((e, i) => (e === null ? [i] : []));
    const outcomes: Outcome[] = errors.map((e) => ({ error: e ?? '' }));
    if (good.length === 0) {
      buffers.give(crops.buffer as ArrayBuffer);
      return outcomes;
    }
    compact(crops, good);
    const batch = crops.subarray(0, good.length * CLIP_CROP_BYTES);
    const { embeds, inputs } = await model({ [PIXEL_BYTES]: { type: 'uint8', data: batch, dims: [good.length, CLIP_IMAGE_SIZE, CLIP_IMAGE_SIZE, 3] } });
    inputs.forEach(buffers.give);
    if (options.trace) log(`trace: ${values.length} rows: reading and decoding ${(decoded - started).toFixed(0)} ms, then the model ${(performance.now() - decoded).toFixed(0)} ms (waiting for the previous run included)`);
    rowsOf(embeds, good.length, options.normalize).forEach((v, k) => (outcomes[good[k]] = v));
    return outcomes;
  };
  // A call holds several model runs (see encode_image.ts): each run goes to the model as soon
  // as its own photos are decoded, while the others still are.
  const encode: Encode = async (values) => {
    const runs = Array.from({ length: Math.ceil(values.length / perRun) }, (_, i) => values.slice(i * perRun, (i + 1) * perRun));
    return (await Promise.all(runs.map((run) => encodeRun(run)))).flat();
  };
  return { encode, device };
}

/** encode_image_check: '' when encode_image could encode the row, else the reason. No model. */
export async function createImageChecker(options: CliOptions): Promise<Encoder> {
  const load = pixelLoader(options.image);
  return { encode: (values) => mapLimit(values, CONCURRENCY, async (v) => (await load(v, new Uint8Array(CLIP_CROP_BYTES), 0)) ?? ''), device: 'cpu' };
}

/** Moves the rows that decoded to the front so the model never sees a failed slot. */
function compact(crops: Uint8Array, good: number[]): void {
  // Slots only ever move toward the front, past rows already moved.
  good.forEach((slot, k) => {
    if (slot !== k) crops.copyWithin(k * CLIP_CROP_BYTES, slot * CLIP_CROP_BYTES, (slot + 1) * CLIP_CROP_BYTES);
  });
}

// A batch's crops (150 KB an image) travel to the model's thread and back, and are filled
// again: a new buffer per batch would be garbage on both threads, which V8 frees only once
// some 64 MB of such buffers have piled up.
function batchBuffers() {
  const free: ArrayBuffer[] = [];
  return {
    take(rows: number): Uint8Array {
      const bytes = rows * CLIP_CROP_BYTES;
      const i = free.findIndex((b) => b.byteLength >= bytes);
      const buffer = i >= 0 ? free.splice(i, 1)[0]! : new ArrayBuffer(bytes);
      return new Uint8Array(buffer, 0, bytes);
    },
    give(buffer: ArrayBuffer): void {
      // As many as batches in flight come back; a few spares cover a larger batch arriving.
      if (free.length < 4) free.push(buffer);
    },
  };
}
