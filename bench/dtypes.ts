// DTYPES: fp32 / fp16 / q8 towers side by side on the same inputs (a subset of the
// captions and photos, main.ts says how many), each kind of measurement with all dtypes
// loaded at once and run alternately for `rounds` rounds (fastest clean run kept), so a slow
// phase of a shared machine hits them all rather than one:
//  - raw speed, exactly as (a): onnxruntime-node in this process, intra-op threads = cores,
//    text sorted by length in batches of 32, images in batches of 8 with the pixels ready;
//  - cosine of each embedding to fp32's embedding of the same input (mean and min);
//  - the built scripts over a pipe with --dtype X, as (b).
// The photos' pixels are made here with sharp (cover-resize to 224, CLIP mean/std): close
// to the scripts' preprocessing, and the same tensors for every dtype, which is what counts.

import { statSync } from 'node:fs';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { towerFile } from '../src/model/files.ts';
import { interleaved, othersLoad, startLoad } from './load.ts';
import { type BenchDtype, hasDtype } from './model.ts';
import { memoryOf } from './proc.ts';
import { frameBlock, ScriptProcess } from './script-process.ts';
import { batches, sessionOptions, textFeeds, type RunOn } from './raw.ts';
import type { Maybe } from './report.ts';
import { since } from './stats.ts';

export interface DtypeTower {
  items: number;
  ms: number;
  rate: number;
  loadMs: number;
  othersLoad: number;
  attempts: number;
  runsMs: number[];
  /** Cosine to fp32's embedding of the same input. */
  cosMean: number;
  cosMin: number;
  fileBytes: number;
}

/** The script over a pipe with --dtype X (as pipe.ts's PipeResult). */
export interface PipeRun {
  items: number;
  ms: number;
  rate: number;
  warmupMs: number;
  empties: number;
  peakRss: number | null;
  othersLoad: number;
  attempts: number;
  runsMs: number[];
}

export interface DtypeRow {
  dtype: BenchDtype;
  text: Maybe<DtypeTower>;
  vision: Maybe<DtypeTower>;
  pipeText: Maybe<PipeRun>;
  pipeImage: Maybe<PipeRun>;
}

export interface DtypesResult {
  texts: number;
  images: number;
  rounds: number;
  rows: DtypeRow[];
}

const MEAN = [0.48145466, 0.4578275, 0.40821073];
const STD = [0.26862954, 0.26130258, 0.27577711];
const PLANE = 224 * 224;

async function pixelsOf(paths: string[]): Promise<Float32Array> {
  const out = new Float32Array(paths.length * 3 * PLANE);
  for (const [i, path] of paths.entries()) {
    const rgb = await sharp(path).removeAlpha().resize(224, 224, { fit: 'cover', kernel: 'cubic' }).raw().toBuffer();
    for (let p = 0; p < PLANE; p++) {
      for (let c = 0; c < 3; c++) out[i * 3 * PLANE + c * PLANE + p] = (rgb[p * 3 + c]! / 255 - MEAN[c]!) / STD[c]!;
    }
  }
  return out;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

function compare(rows: Float32Array[], reference: Float32Array[] | undefined): { cosMean: number; cosMin: number } {
  if (!reference) return { cosMean: NaN, cosMin: NaN }; // fp32 failed: nothing to compare with
  const c = rows.map((r, i) => cosine(r, reference[i]!));
  return { cosMean: c.reduce((a, b) => a + b, 0) / c.length, cosMin: Math.min(...c) };
}

type Timed = { ms: number; othersLoad: number; out: Float32Array[] };

/** A tower loaded once per dtype, run alternately: round 1 fp32 fp16 q8, round 2 ... */
async function rawTower(
  modelDir: string, tower: 'text' | 'vision', dtypes: BenchDtype[], threads: number, rounds: number, on: RunOn,
  makeRun: (session: ort.InferenceSession) => { warm: () => Promise<void>; run: () => Promise<Timed> },
): Promise<Map<BenchDtype, Maybe<{ timed: Timed & { attempts: number; runsMs: number[] }; loadMs: number }>>> {
  const loaded: Array<{ dtype: BenchDtype; session: ort.InferenceSession; loadMs: number; run: () => Promise<Timed> }> = [];
  const results = new Map<BenchDtype, Maybe<{ timed: Timed & { attempts: number; runsMs: number[] }; loadMs: number }>>();
  try {
    for (const dtype of dtypes) {
      try {
        const start = performance.now();
        const session = await ort.InferenceSession.create(towerFile(modelDir, tower, dtype), sessionOptions(threads, on.device));
        const loadMs = since(start);
        const { warm, run } = makeRun(session);
        loaded.push({ dtype, session, loadMs, run });
        await warm();
      } catch (err) {
        results.set(dtype, { error: (err as Error).message.split('\n')[0]!.slice(0, 600) });
      }
    }
    const kept = await interleaved(rounds, loaded.map((l) => l.run));
    loaded.forEach((l, i) => results.set(l.dtype, { timed: kept[i]!, loadMs: l.loadMs }));
    return results;
  } finally {
    for (const l of loaded) await l.session.release();
  }
}

function textRunner(tokenIds: number[][], batch: number) {
  const order = tokenIds.map((_, i) => i).sort((a, b) => tokenIds[a]!.length - tokenIds[b]!.length);
  const sorted = batches(order, batch);
  return (session: ort.InferenceSession) => {
    const run = async (list: number[][]): Promise<Timed> => {
      const out: Float32Array[] = new Array(tokenIds.length);
      const load = startLoad();
      const start = performance.now();
      for (const b of list) {
        const r = await session.run(textFeeds(session, b.map((i) => tokenIds[i]!)), ['text_embeds']);
        const data = r.text_embeds!.data as Float32Array;
        const dim = data.length / b.length;
        b.forEach((i, k) => (out[i] = data.slice(k * dim, (k + 1) * dim)));
      }
      return { ms: since(start), othersLoad: othersLoad(load), out };
    };
    // Warm-up: the shortest and the longest batch, so both shapes' kernels are ready.
    return { warm: async () => void (await run([sorted[0]!, sorted[sorted.length - 1]!])), run: () => run(sorted) };
  };
}

function visionRunner(pixels: Float32Array, images: number, IMAGE_BATCH: number) {
  return (session: ort.InferenceSession) => {
    const feed = (from: number, n: number) => ({ pixel_values: new ort.Tensor('float32', pixels.subarray(from * 3 * PLANE, (from + n) * 3 * PLANE), [n, 3, 224, 224]) });
    const run = async (): Promise<Timed> => {
      const out: Float32Array[] = [];
      const load = startLoad();
      const start = performance.now();
      for (let done = 0; done < images; done += IMAGE_BATCH) {
        const n = Math.min(IMAGE_BATCH, images - done);
        const data = (await session.run(feed(done, n), ['image_embeds'])).image_embeds!.data as Float32Array;
        const dim = data.length / n;
        for (let k = 0; k < n; k++) out.push(data.slice(k * dim, (k + 1) * dim));
      }
      return { ms: since(start), othersLoad: othersLoad(load), out };
    };
    return { warm: async () => void (await session.run(feed(0, Math.min(IMAGE_BATCH, images)), ['image_embeds'])), run };
  };
}

/** The built script once per dtype, warmed, then one block each, alternately (as pipe.ts (b)). */
async function pipeTower(
  dist: string, script: 'encode_text' | 'encode_image', args: string[], dtypes: BenchDtype[], values: string[], warmup: string[], rounds: number,
): Promise<Map<BenchDtype, Maybe<PipeRun>>> {
  const results = new Map<BenchDtype, Maybe<PipeRun>>();
  const procs: Array<{ dtype: BenchDtype; proc: ScriptProcess; expected: number; warmupMs: number }> = [];
  try {
    for (const dtype of dtypes) {
      const proc = new ScriptProcess(dist, script, [...args, '--dtype', dtype, '--chunk-header']);
      try {
        proc.write(frameBlock(warmup));
        await proc.untilAnswered(warmup.length, 300_000);
        procs.push({ dtype, proc, expected: warmup.length, warmupMs: since(proc.spawnedAt) });
      } catch (err) {
        results.set(dtype, { error: (err as Error).message.split('\n')[0]!.slice(0, 600) });
        await proc.close();
      }
    }
    const block = frameBlock(values);
    const failed = new Map<BenchDtype, string>();
    const kept = await interleaved(rounds, procs.map((p) => async () => {
      if (failed.has(p.dtype)) return { ms: NaN, othersLoad: 1, empties: 0 };
      try {
        const before = p.proc.empties;
        const load = startLoad();
        const start = performance.now();
        p.proc.write(block);
        p.expected += values.length;
        const end = await p.proc.untilAnswered(p.expected, Math.max(120_000, values.length * 5_000));
        return { ms: end - start, othersLoad: othersLoad(load), empties: p.proc.empties - before };
      } catch (err) {
        failed.set(p.dtype, (err as Error).message.split('\n')[0]!.slice(0, 600));
        return { ms: NaN, othersLoad: 1, empties: 0 };
      }
    }));
    procs.forEach((p, i) => {
      const best = kept[i]!;
      const error = failed.get(p.dtype) ?? (best.empties === values.length ? 'every row was answered []' : undefined);
      if (error) {
        results.set(p.dtype, { error });
        return;
      }
      const memory = memoryOf(p.proc.pid);
      results.set(p.dtype, {
        items: values.length, ms: best.ms, rate: (values.length * 1000) / best.ms, warmupMs: p.warmupMs, empties: best.empties,
        peakRss: memory?.peakRss ?? null, othersLoad: best.othersLoad, attempts: best.attempts, runsMs: best.runsMs,
      });
    });
    return results;
  } finally {
    for (const p of procs) await p.proc.close();
  }
}

export async function dtypesRun(opts: {
  modelDir: string; dist: string; threads: number; rounds: number; log: (line: string) => void; on: RunOn;
  tokenIds: number[][]; captions: string[]; paths: string[]; textArgs: string[]; imageArgs: string[]; dtypes: BenchDtype[];
}): Promise<DtypesResult> {
  const { modelDir, threads, rounds, log, tokenIds, captions, paths, on } = opts;
  const available = opts.dtypes.filter((d) => hasDtype(modelDir, d));
  const missing = (d: BenchDtype) => ({ error: `the model folder has no ${towerFile(modelDir, 'text', d)} / vision_model for ${d}` });
  const get = <T>(m: Map<BenchDtype, Maybe<T>>, d: BenchDtype): Maybe<T> => m.get(d) ?? missing(d);

  log(`dtypes: raw text towers (${available.join(', ')}), ${rounds} alternating round(s)`);
  const rawText = await rawTower(modelDir, 'text', available, threads, rounds, on, textRunner(tokenIds, on.textBatch));
  log('dtypes: raw vision towers');
  const pixels = await pixelsOf(paths);
  const rawVision = await rawTower(modelDir, 'vision', available, threads, rounds, on, visionRunner(pixels, paths.length, on.imageBatch));
  log('dtypes: encode_text --dtype X over a pipe');
  const pipeText = await pipeTower(opts.dist, 'encode_text', opts.textArgs, available, captions, captions.slice(0, on.textBatch), rounds);
  log('dtypes: encode_image --dtype X over a pipe');
  const pipeImage = await pipeTower(opts.dist, 'encode_image', opts.imageArgs, available, paths, paths.slice(0, on.imageBatch), rounds);

  const tower = (m: Map<BenchDtype, Maybe<{ timed: Timed & { attempts: number; runsMs: number[] }; loadMs: number }>>, d: BenchDtype, name: 'text' | 'vision'): Maybe<DtypeTower> => {
    const r = get(m, d);
    if ('error' in r) return r;
    const ref = m.get('fp32');
    const reference = ref && !('error' in ref) ? ref.timed.out : undefined;
    const items = r.timed.out.length;
    return {
      items, ms: r.timed.ms, rate: (items * 1000) / r.timed.ms, loadMs: r.loadMs, othersLoad: r.timed.othersLoad, attempts: r.timed.attempts,
      runsMs: r.timed.runsMs, ...compare(r.timed.out, reference), fileBytes: statSync(towerFile(modelDir, name, d)).size,
    };
  };
  return {
    texts: tokenIds.length, images: paths.length, rounds,
    rows: opts.dtypes.map((dtype) => ({
      dtype,
      text: tower(rawText, dtype, 'text'),
      vision: tower(rawVision, dtype, 'vision'),
      pipeText: get(pipeText, dtype),
      pipeImage: get(pipeImage, dtype),
    })),
  };
}
