// One row of encode_image -> its CLIP pixels: read the source under the installed
// policy (or take the bytes as given), then decode and preprocess behind the
// format, pixel and time guards. Fails with a reason, never throws for bad input.

import { availableParallelism } from 'node:os';
import { PIXELS_PER_IMAGE } from '../image/preprocess.ts';
import { releaseNow } from '../image/release.ts';
import type { ImageOptions } from '../options.ts';
import { SourceError, createLimiter, defaultPolicy, preprocessGuarded, readSource, sourceKind } from '../sources/index.ts';
import type { Preprocess } from './decode-workers.ts';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Fills slot `index` of a batch tensor; resolves to null, or the reason the row failed. */
export type PixelLoader = (value: Buffer, pixels: Float32Array, index: number) => Promise<string | null>;

/** `preprocess` runs the decode here (default) or on worker threads (decode-workers.ts). */
export function pixelLoader(options: ImageOptions, preprocess: Preprocess = preprocessHere): PixelLoader {
  const policy = defaultPolicy({
    allowDirs: options.allowDirs,
    allowUrls: options.allowUrls,
    maxBytes: options.maxBytes,
    totalTimeoutMs: options.timeoutMs,
  });
  // Fetches may wait on the network in numbers; decodes are CPU and memory bound.
  const decoding = createLimiter(availableParallelism());
  return async (value, pixels, index) => {
    try {
      let bytes: Buffer | undefined = value;
      let name: string | undefined;
      // One budget per row: what reading used is gone for decoding (waiting for a slot is not).
      let readMs = 0;
      const read = async () => {
        const started = Date.now();
        const got = await readSource(name!, policy);
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
        bytes ??= await read();
        const left = Math.max(1, options.timeoutMs - readMs);
        await preprocess(bytes, pixels, index * PIXELS_PER_IMAGE, { name, maxPixels: options.maxPixels, timeoutMs: left });
        // Bytes read here (up to --max-bytes of PNG) are ours and done with. Not after a
        // failure: a decode that timed out may still be reading them. Given bytes are part
        // of the block and never freed here.
        if (name !== undefined) releaseNow(bytes);
      });
      return null;
    } catch (err) {
      if (err instanceof SourceError) return err.message;
      throw err;
    }
  };
}

const preprocessHere: Preprocess = async (bytes, out, offset, options) => void (await preprocessGuarded(bytes, out, offset, options));
