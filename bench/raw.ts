// (a) The ceiling: the towers run directly in onnxruntime-node in this process,
// with ideal batching and no protocol, tokenizing or image decoding in the timing.
// Text: token ids sorted by length, batches of 32 (256 on a GPU) padded to their longest
// row. Vision: fixed random pixel tensors, batches of 8 (64 on a GPU).

import { cpus } from 'node:os';
import ort from 'onnxruntime-node';
import { towerFile } from '../src/model/files.ts';
import { PIXEL_BYTES } from '../src/model/pixel-feed.ts';
import { pickTowerFile } from '../src/model/prepared.ts';
import { IMAGE_BATCH, TEXT_BATCH } from '../src/options.ts';
import { leastDisturbed, othersLoad, startLoad } from './load.ts';
import { rng } from './rng.ts';
import { since } from './stats.ts';

import type { RunDevice } from '../src/model/towers.ts';

/** Where the bench runs: the scripts' devices, less `auto` (a bench must know). */
export type BenchDevice = RunDevice;

/**
 * Where (a) and the scripts run, and (a)'s batch sizes: the scripts' defaults there, except
 * photos on the CPU, 8 where the scripts run 4: a hair faster per photo, and (a) is the ceiling.
 */
export interface RunOn {
  device: BenchDevice;
  textBatch: number;
  imageBatch: number;
}

export function runOn(device: BenchDevice): RunOn {
  return device === 'cpu' ? { device, textBatch: TEXT_BATCH.cpu, imageBatch: 8 } : { device, textBatch: TEXT_BATCH.gpu, imageBatch: IMAGE_BATCH.gpu };
}

export interface RawResult {
  items: number;
  ms: number;
  /** Items per second. */
  rate: number;
  loadMs: number;
  /** Share of the machine other processes used meanwhile (see load.ts). */
  othersLoad: number;
  /** Timed runs made to find a clean one (see load.ts). */
  attempts?: number;
}

export function sessionOptions(threads: number, device: BenchDevice): ort.InferenceSession.SessionOptions {
  return { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionProviders: [device] };
}

export function textFeeds(session: ort.InferenceSession, rows: number[][]): Record<string, ort.Tensor> {
  const width = Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * width);
  const mask = new BigInt64Array(rows.length * width);
  rows.forEach((row, r) => row.forEach((id, c) => {
    ids[r * width + c] = BigInt(id);
    mask[r * width + c] = 1n;
  }));
  const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [rows.length, width]) };
  if (session.inputNames.includes('attention_mask')) feeds.attention_mask = new ort.Tensor('int64', mask, [rows.length, width]);
  return feeds;
}

export function batches<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface RawText {
  /** Sorted by length: the ceiling. */
  sorted: RawResult;
  /** Input order, as the script batches a block: shows what batching alone costs. */
  inOrder: RawResult;
}

/** A loaded tower that times one pass over the inputs per call (the core section alternates
 * these with the scripts' runs, see core.ts). */
export interface RawTower<R> {
  loadMs: number;
  close(): Promise<void>;
  passes: R;
}

/**
 * The file (a) loads: the hub's, or with `prepared` (a'), the prepared copy the scripts load
 * instead (src/model/prepared.ts: vision takes bytes, and both run their last layer on the
 * pooled token alone), to tell what the copy gains from what the script costs.
 */
function rawTowerFile(modelDir: string, tower: 'text' | 'vision', prepared: boolean): string {
  const source = towerFile(modelDir, tower, 'fp32');
  const file = prepared ? pickTowerFile(source, ort) : source;
  if (prepared && file === source) throw new Error(`no up-to-date prepared copy of ${source} (run prepare_model)`);
  return file;
}

/** Loads the text tower and warms it: `sorted` and `inOrder` each time one pass over the captions. */
export async function openRawText(modelDir: string, tokenIds: number[][], on: RunOn, threads = cpus().length, prepared = false): Promise<RawTower<Record<keyof RawText, () => Promise<RawResult>>>> {
  const loadStart = performance.now();
  const session = await ort.InferenceSession.create(rawTowerFile(modelDir, 'text', prepared), sessionOptions(threads, on.device));
  const loadMs = since(loadStart);
  const run = async (rows: number[][][]): Promise<RawResult> => {
    const load = startLoad();
    const start = performance.now();
    for (const b of rows) await session.run(textFeeds(session, b), ['text_embeds']);
    const ms = since(start);
    return { items: tokenIds.length, ms, rate: (tokenIds.length * 1000) / ms, loadMs, othersLoad: othersLoad(load) };
  };
  const sortedBatches = batches([...tokenIds].sort((a, b) => a.length - b.length), on.textBatch);
  const inOrderBatches = batches(tokenIds, on.textBatch);
  try {
    // Warm-up: a short and a long batch, so both shapes' kernels are ready.
    await run([sortedBatches[0], sortedBatches[sortedBatches.length - 1]]);
  } catch (err) {
    await session.release();
    throw err;
  }
  return { loadMs, close: () => session.release(), passes: { sorted: () => run(sortedBatches), inOrder: () => run(inOrderBatches) } };
}

export async function rawText(modelDir: string, tokenIds: number[][], on: RunOn, threads = cpus().length, tries = 1): Promise<RawText> {
  const raw = await openRawText(modelDir, tokenIds, on, threads);
  try {
    return { sorted: await leastDisturbed(tries, raw.passes.sorted), inOrder: await leastDisturbed(tries, raw.passes.inOrder) };
  } finally {
    await raw.close();
  }
}

/** Loads the vision tower and warms it: each call times `images` photos' worth of ready pixels. */
export async function openRawVision(modelDir: string, images: number, on: RunOn, threads = cpus().length, prepared = false): Promise<RawTower<() => Promise<RawResult>>> {
  const IMAGE_BATCH = on.imageBatch;
  const loadStart = performance.now();
  const session = await ort.InferenceSession.create(rawTowerFile(modelDir, 'vision', prepared), sessionOptions(threads, on.device));
  const loadMs = since(loadStart);
  const r = rng(99);
  const pixels = new Float32Array(IMAGE_BATCH * 3 * 224 * 224).map(() => (r() - 0.5) * 4);
  const bytes = Uint8Array.from(pixels, (v) => (v + 2) * 63);
  const feed = (n: number): Record<string, ort.Tensor> => (session.inputNames.includes(PIXEL_BYTES)
    ? { [PIXEL_BYTES]: new ort.Tensor('uint8', bytes.subarray(0, n * 3 * 224 * 224), [n, 224, 224, 3]) }
    : { pixel_values: new ort.Tensor('float32', pixels.subarray(0, n * 3 * 224 * 224), [n, 3, 224, 224]) });
  try {
    await session.run(feed(IMAGE_BATCH), ['image_embeds']); // warm-up
  } catch (err) {
    await session.release();
    throw err;
  }
  const pass = async (): Promise<RawResult> => {
    const load = startLoad();
    const start = performance.now();
    for (let done = 0; done < images; done += IMAGE_BATCH) await session.run(feed(Math.min(IMAGE_BATCH, images - done)), ['image_embeds']);
    const ms = since(start);
    return { items: images, ms, rate: (images * 1000) / ms, loadMs, othersLoad: othersLoad(load) };
  };
  return { loadMs, close: () => session.release(), passes: pass };
}

export async function rawVision(modelDir: string, images: number, on: RunOn, threads = cpus().length, tries = 1): Promise<RawResult> {
  const raw = await openRawVision(modelDir, images, on, threads);
  try {
    return await leastDisturbed(tries, raw.passes);
  } finally {
    await raw.close();
  }
}
