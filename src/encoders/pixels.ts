// One row of encode_image -> its CLIP crop: open the source under the installed
// policy (a local file is left to libvips to read, see openImageSource; a download or the
// bytes given are decoded from memory), then decode and preprocess behind the format,
// pixel and time guards. Fails with a reason, never throws for bad input.

import { availableParallelism } from 'node:os';
import { headOf } from '../image/decode.ts';
import { CLIP_CROP_BYTES } from '../image/preprocess.ts';
import { releaseNow } from '../image/release.ts';
import type { ImageOptions } from '../options.ts';
import { SourceError, createBudget, createLimiter, declaredPixels, defaultPolicy, openImageSource, preprocessGuarded, readSource, sourceKind } from '../sources/index.ts';
import type { OpenImageFile } from '../sources/index.ts';
import type { Preprocess } from './decode-workers.ts';

const utf8 = new TextDecoder('utf-8', { fatal: false });

// Decoded pixels in flight per core, counted from the headers (3 bytes a pixel) plus the
// bytes held: two large photos decoding side by side made encode_image's peak (2400x1800 is
// 13 MB of pixels). A photo larger than the whole budget decodes alone. (2 cores: 4 photos
// per run, -5 to -8 MiB peak in alternating runs, speed within noise.)
const DECODE_BUDGET_PER_CORE = 8 << 20;

/** Fills slot `index` of a batch of crops; resolves to null, or the reason the row failed. */
export type PixelLoader = (value: Buffer, crops: Uint8Array, index: number) => Promise<string | null>;

/** Decodes here, or on the worker threads of `workers` (decode-workers.ts). */
export function pixelLoader(options: ImageOptions, workers?: Preprocess): PixelLoader {
  const policy = defaultPolicy({
    allowDirs: options.allowDirs,
    allowUrls: options.allowUrls,
    maxBytes: options.maxBytes,
    totalTimeoutMs: options.timeoutMs,
  });
  // Fetches may wait on the network in numbers; decodes are CPU and memory bound.
  const decoding = createLimiter(availableParallelism());
  // Decode workers feed a GPU, whose speed is the point there, not this process's memory.
  const pixelBudget = createBudget(workers ? Number.POSITIVE_INFINITY : availableParallelism() * DECODE_BUDGET_PER_CORE);
  // Here libvips reads local files itself (openImageSource); workers are sent the bytes.
  const readFile = workers ? readSource : openImageSource;
  return async (value, crops, index) => {
    try {
      let bytes: Buffer | OpenImageFile | undefined = value;
      let name: string | undefined;
      // One budget per row: what reading used is gone for decoding (waiting for a slot is not).
      let readMs = 0;
      const read = async () => {
        const started = Date.now();
        const got = await readFile(name!, policy);
        readMs += Date.now() - started;
        return got;
      };
      if (options.input === 'path') {
        name = utf8.decode(value);
        // A download is started at once, to overlap slow servers; a file is read only once a
        // decode slot is free, so that a call's files do not all sit in memory meanwhile.
        bytes = sourceKind(name) === 'http' ? await read() : undefined;
      } else if (value.length > options.maxBytes) {
        return `the image is ${value.length} bytes, more than the ${options.maxBytes} allowed (--max-bytes)`;
      }
      await decoding(async () => {
        const input = bytes ?? (await read());
        const left = Math.max(1, options.timeoutMs - readMs);
        const limits = { name, maxPixels: options.maxPixels, timeoutMs: left };
        const held = Buffer.isBuffer(input) ? input.length : 0;
        await pixelBudget(declaredPixels(headOf(input)) * 3 + held, async () => {
          // With workers, readFile is readSource: always bytes.
          if (workers) await workers(input as Buffer, crops, index * CLIP_CROP_BYTES, limits);
          else await preprocessGuarded(input, crops, index * CLIP_CROP_BYTES, limits);
        });
        // Bytes read here (up to --max-bytes of PNG) are ours and done with. Not after a
        // failure: a decode that timed out may still be reading them. Given bytes are part
        // of the block and never freed here.
        if (name !== undefined && Buffer.isBuffer(input)) releaseNow(input);
      });
      return null;
    } catch (err) {
      if (err instanceof SourceError) return err.message;
      throw err;
    }
  };
}
