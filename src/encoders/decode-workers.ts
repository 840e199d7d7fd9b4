// Decoding and preprocessing on worker threads. On a GPU the model takes several
// hundred images a second, more than one thread can decode and resample (~20 ms of
// CPU per photo): spread over the cores, the GPU is kept busy. The answers are the
// same bytes as on the main thread (same code, same WASM).

import { CLIP_CROP_BYTES } from '../image/preprocess.ts';
import { releaseNow } from '../image/release.ts';
import { DEFAULT_DECODE_TIMEOUT_MS, SourceError, quote, withTimeout, type GuardedPreprocessOptions, type SourceErrorCode } from '../sources/index.ts';
import { workerPool } from '../worker-pool.ts';

export interface DecodeJob {
  bytes: Uint8Array;
  options: GuardedPreprocessOptions;
}

/** The crop, or why the row cannot be encoded (a SourceError, rebuilt on this side). */
export type DecodeResult = Uint8Array | { reason: string; code: SourceErrorCode };

/** Same contract as preprocessGuarded: fills `out` at `offset`, or throws a SourceError. */
export type Preprocess = (bytes: Uint8Array, out: Uint8Array, offset: number, options: GuardedPreprocessOptions) => Promise<void>;

export function decodeWorkers(count: number, script: URL): Preprocess {
  const run = workerPool<DecodeJob, DecodeResult>(count, script);
  return async (bytes, out, offset, options) => {
    // The worker has the same timer, but a long synchronous resample would hold it
    // back; this one runs on the main thread. A late answer is simply dropped.
    const at = options.name === undefined ? '' : `${quote(options.name)}: `;
    const result = await withTimeout(run({ bytes, options }), (options.timeoutMs ?? DEFAULT_DECODE_TIMEOUT_MS) + 1_000, `${at}decoding`);
    if (!(result instanceof Uint8Array)) throw new SourceError(result.reason, result.code);
    out.set(result.subarray(0, CLIP_CROP_BYTES), offset);
    releaseNow(result);
  };
}
