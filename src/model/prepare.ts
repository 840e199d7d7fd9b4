// Writing a prepared copy of a tower (see prepared.ts for what it is and when it is used).

import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { CLIP_MEAN, CLIP_STD } from '../image/normalize.ts';
import { withByteInput } from './byte-input.ts';
import { EMBEDS } from './files.ts';
import { PIXEL_BYTES } from './pixel-feed.ts';
import { withPooledTokenTail } from './pooled-token.ts';
import { pickTowerFile, preparedPaths, stampOf, versionOf, type Ort } from './prepared.ts';
import { disableOrtTelemetry } from './telemetry.ts';

/** What prepareTower did: nothing (an up-to-date copy was there), or wrote a copy. */
export type Prepared = { wrote: false } | { wrote: true; tail: TailCut };

/**
 * Whether a copy's last layer runs on the pooled token alone (pooled-token.ts): 'cut', 'none'
 * (nothing to cut), or 'differed' (cut, but it failed to load or its embeddings were not the
 * whole copy's to the bit on this machine, so the whole one was kept).
 */
export type TailCut = 'cut' | 'none' | 'differed';

/** Makes the prepared copy of `source` with onnxruntime-node's `ort`, unless an up-to-date one is there. */
export async function prepareTower(source: string, ort: Ort): Promise<Prepared> {
  if (pickTowerFile(source, ort) !== source) return { wrote: false };
  disableOrtTelemetry();
  const { model, data, stamp } = preparedPaths(source);
  const dir = dirname(model);
  mkdirSync(dir, { recursive: true });
  // Written in a private folder and renamed into place file by file, so a reader never
  // meets a half-written file, whoever else prepares the same folder at the same time.
  // Renaming also leaves the old data file to the processes that have it mapped: one
  // truncated under a mapping would kill them (SIGBUS). The stamp goes first and comes
  // back last, so an old stamp never vouches for a new pair of files.
  rmSync(stamp, { force: true });
  const partial = mkdtempSync(join(dir, '.partial-'));
  try {
    const writer = await ort.InferenceSession.create(source, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'disabled',
      optimizedModelFilePath: join(partial, basename(model)),
      logSeverityLevel: 3,
      extra: {
        session: {
          // onnxruntime records this name, relative to the model, inside the model.
          optimized_model_external_initializers_file_name: data,
          // Everything but scalars and shapes goes to the data file.
          optimized_model_external_initializers_min_size_in_bytes: '1024',
        },
      },
    });
    // Its weights are no longer needed, and the check below loads the tower twice more.
    await writer.release();
    const written = join(partial, basename(model));
    const graph = readFileSync(written);
    const bytes = withByteInput(graph, CLIP_MEAN, CLIP_STD);
    if (bytes) writeFileSync(written, bytes);
    const whole = bytes ?? graph;
    const cut = withPooledTokenTail(whole, EMBEDS.vision) ?? withPooledTokenTail(whole, EMBEDS.text);
    let tail: TailCut = cut ? 'cut' : 'none';
    if (cut) {
      const cutFile = join(partial, 'pooled-token.onnx');
      writeFileSync(cutFile, cut);
      if (await sameEmbeddings(ort, written, cutFile).catch(() => false)) renameSync(cutFile, written);
      else tail = 'differed';
    }
    // A tower without a weight of 1 KB or more (a test's) gets no data file.
    if (existsSync(join(partial, data))) renameSync(join(partial, data), join(dir, data));
    renameSync(written, model);
    writeFileSync(join(partial, 'stamp'), JSON.stringify(stampOf(source, versionOf(ort))) + '\n');
    renameSync(join(partial, 'stamp'), stamp);
    return { wrote: true, tail };
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}

/**
 * Whether two copies of a tower answer the same embeddings, bit for bit, for batches of 1 and
 * 3 (onnxruntime may take another kernel for a single row). Both read the same data file, next
 * to them.
 */
async function sameEmbeddings(ort: Ort, a: string, b: string): Promise<boolean> {
  const options = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 } as const;
  const sessions = [await ort.InferenceSession.create(a, options), await ort.InferenceSession.create(b, options)];
  try {
    const output = Object.values(EMBEDS).find((name) => sessions.every((s) => s.outputNames.includes(name)));
    if (!output) return false;
    for (const rows of [1, 3]) {
      const feeds = probeFeeds(ort, sessions[0]!, rows);
      if (!feeds) return false;
      const [x, y] = await Promise.all(sessions.map(async (s) => (await s.run(feeds, [output]))[output]!.data as Float32Array));
      if (!Buffer.from(x!.buffer, x!.byteOffset, x!.byteLength).equals(Buffer.from(y!.buffer, y!.byteOffset, y!.byteLength))) return false;
    }
    return true;
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
}

// The text probe's captions, in tokens: short and long in one batch, so that rows are padded.
const PROBE_LENGTHS: Record<number, number[]> = { 1: [9], 3: [4, 20, 12] };
// CLIP's <|endoftext|>, the highest id of its vocabulary: where ArgMax finds each row's end.
const END_OF_TEXT_ID = 49407;

/** Inputs for `rows` rows of `session`: random crops as bytes, or random captions; null for other towers. */
function probeFeeds(ort: Ort, session: InferenceSession, rows: number): Record<string, Tensor> | null {
  const random = (i: number) => ((i + rows) * 2654435761) >>> 0;
  const pixels = session.inputMetadata.find((m) => m.name === PIXEL_BYTES);
  if (pixels?.isTensor) {
    const [height, width] = pixels.shape.slice(1, 3);
    if (typeof height !== 'number' || typeof width !== 'number') return null;
    // Random bytes reach every value of every channel.
    const bytes = Uint8Array.from({ length: rows * height * width * 3 }, (_, i) => random(i) >>> 24);
    return { [PIXEL_BYTES]: new ort.Tensor('uint8', bytes, [rows, height, width, 3]) };
  }
  const lengths = PROBE_LENGTHS[rows];
  if (!lengths || !session.inputNames.includes('input_ids')) return null;
  const width = Math.max(...lengths);
  const ids = new BigInt64Array(rows * width);
  const mask = new BigInt64Array(rows * width);
  lengths.forEach((length, r) => {
    for (let c = 0; c < length; c++) {
      ids[r * width + c] = BigInt(c === length - 1 ? END_OF_TEXT_ID : random(r * width + c) % END_OF_TEXT_ID);
      mask[r * width + c] = 1n;
    }
  });
  return {
    input_ids: new ort.Tensor('int64', ids, [rows, width]),
    ...(session.inputNames.includes('attention_mask') && { attention_mask: new ort.Tensor('int64', mask, [rows, width]) }),
  };
}
