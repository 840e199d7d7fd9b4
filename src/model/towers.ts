// Loads one CLIP tower (text or vision) from a local folder in transformers.js
// layout. Only the tower a function needs is loaded, and the network is never
// touched: a UDF answering queries must not depend on the hub being reachable.
//
// The session is onnxruntime-node's own, made from the file's path, not transformers.js's
// model classes: those fetch every output, and on a GPU reading last_hidden_state back
// (40 MB for 256 captions) cost more than running the tower (bench: 0.20x of raw); and
// importing transformers.js (with the sharp it loads) cost every process ~28 MB and 0.1 s.
//
// The session runs on a worker thread of its own: onnxruntime-node's run() blocks the
// thread that calls it for the whole inference. On the main thread that stalled reading
// rows, handing out decodes and printing while the model ran (H100: encode_image stuck
// at 0.31x of the raw tower, with the decode workers 40% idle).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { workerPool, type RunJob } from '../worker-pool.ts';
import type { Device, Dtype, EncoderOptions } from '../options.ts';
import { EMBEDS, towerFile, type Tower } from './files.ts';
import { disableOrtTelemetry } from './telemetry.ts';

export class ModelError extends Error {}

export function checkModelDir(modelDir: string, tower: Tower, dtype: Dtype): void {
  for (const file of [join(modelDir, 'config.json'), towerFile(modelDir, tower, dtype)]) {
    if (!existsSync(file)) {
      throw new ModelError(`Expected ${file} (--model-dir ${modelDir}, --dtype ${dtype}) but it does not exist (see 'Models' in README.md)`);
    }
  }
}

/** One model input, as plain data that can move to the model's thread. */
export interface Feed {
  type: 'int64' | 'float32' | 'uint8';
  data: BigInt64Array | Float32Array | Uint8Array;
  dims: number[];
}

/** What a run answers: the projected embeddings, [rows, dims], and the feeds' buffers back. */
export interface RunResult {
  embeds: Float32Array;
  /** The buffers of the feeds, moved back from the model's thread to be filled again. */
  inputs: ArrayBuffer[];
}

/** Runs a tower. The feeds' buffers move to the model's thread and come back in the result. */
export type TowerModel = (feeds: Record<string, Feed>) => Promise<RunResult>;

/** What model_worker.mjs is asked: load a session (once it worked, never again), or run it. */
export type ModelJob =
  | { load: { file: string; options: InferenceSession.SessionOptions; output: string } }
  | { run: Record<string, Feed> };

/** A run answers the embeddings; a load, the file it loaded (the source's prepared copy where
 * there is one, see prepared.ts) and, when that copy failed to load, why. */
export type ModelReply = RunResult | { loaded: string; copyFailed?: string };

/** The name model_worker.mjs gives its thread, which onnxruntime's pool threads inherit (the bench splits CPU by it). */
export const MODEL_THREAD = 'clip-model';

export type RunDevice = Exclude<Device, 'auto'>;

export interface LoadedTower {
  run: TowerModel;
  /** Where it runs: --device, or what --device auto settled on. */
  device: RunDevice;
}

// What --device auto tries, in order, before the CPU. CUDA only works where its
// libraries were installed next to onnxruntime-node; WebGPU needs a Vulkan loader.
const GPUS = ['cuda', 'webgpu'] as const;

export async function loadTower(tower: Tower, options: EncoderOptions, log: (line: string) => void): Promise<LoadedTower> {
  checkModelDir(options.modelDir, tower, options.dtype);
  disableOrtTelemetry();
  const thread: Thread = workerPool(1, new URL('./model_worker.mjs', import.meta.url));
  // Runs are posted as soon as they are asked for: the model's thread takes them one at a
  // time (run() blocks it), so it never waits for this thread to send the next one.
  return loadOnDevice(tower, options, log, thread);
}

type Thread = RunJob<ModelJob, ModelReply>;

/** The device is chosen once per process: `auto` falls back to the CPU, saying why once. */
async function loadOnDevice(tower: Tower, options: EncoderOptions, log: (line: string) => void, thread: Thread): Promise<LoadedTower> {
  const load = (device: RunDevice) => loadOn(thread, tower, options, device, log);
  if (options.device !== 'auto') {
    try {
      return { run: await load(options.device), device: options.device };
    } catch (err) {
      throw new ModelError(`--device ${options.device}: ${firstLine(err)}`);
    }
  }
  const reasons: string[] = [];
  for (const gpu of GPUS) {
    try {
      const run = await load(gpu);
      log(`--device auto: running on ${gpu}`);
      return { run, device: gpu };
    } catch (err) {
      reasons.push(`${gpu}: ${firstLine(err)}`);
    }
  }
  log(`--device auto: no usable GPU (${reasons.join('; ')}); running on the CPU`);
  return { run: await load('cpu'), device: 'cpu' };
}

async function loadOn(thread: Thread, tower: Tower, options: EncoderOptions, device: RunDevice, log: (line: string) => void): Promise<TowerModel> {
  const sessionOptions: InferenceSession.SessionOptions = {
    executionProviders: [device],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    // Errors only: the warnings onnxruntime prints while building a session (nodes it
    // leaves to the CPU on a GPU, say) are noise in the server log, which keeps stderr.
    logSeverityLevel: 3,
    // Waiting vision threads must not spin: they would burn the cores that decode the
    // next batch meanwhile (bench: 0.75x -> 0.84x of raw). Text has nothing to overlap.
    ...(tower === 'vision' && { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
    // No memory pattern on the CPU. onnxruntime plans one per input shape and keeps each:
    // captions come in every length from 3 to 77 tokens, and the kept patterns grew a text
    // session by 57 MB over one 32x77 batch. A vision run's pattern is one block for all its
    // activations, held in the arena beside it: without, the arena peaks 10 MB lower (a
    // bare 4-photo session: 468 -> 458 MiB). No measurable speed difference for either
    // (2-core EPYC).
    ...(device === 'cpu' && { enableMemPattern: false }),
  };
  const started = performance.now();
  const { loaded, copyFailed } = (await thread({ load: { file: towerFile(options.modelDir, tower, options.dtype), options: sessionOptions, output: EMBEDS[tower] } })) as { loaded: string; copyFailed?: string };
  const took = `in ${(performance.now() - started).toFixed(0)} ms`;
  // A prepared copy that failed to load is worth a line in the server log, trace or not.
  if (copyFailed) log(`${tower} tower on ${device} from ${loaded} (${copyFailed}) ${took}`);
  else if (options.trace) log(`trace: ${tower} tower on ${device} from ${loaded} ${took}`);
  return async (feeds) => (await thread({ run: feeds }, Object.values(feeds).map((f) => f.data.buffer as ArrayBuffer))) as RunResult;
}

function firstLine(err: unknown): string {
  const line = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  // onnxruntime prefixes the reason with its source location and the failed check.
  const reason = line.includes(' was false. ') ? line.slice(line.lastIndexOf(' was false. ') + 12) : line;
  return reason.slice(0, 300);
}
