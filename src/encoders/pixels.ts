// One row of encode_image -> its CLIP pixels: read the source under the installed
// policy (or take the bytes as given), then decode and preprocess behind the
// format, pixel and time guards. Fails with a reason, never throws for bad input.

import { PIXELS_PER_IMAGE } from '../image/preprocess.ts';
import type { ImageOptions } from '../options.ts';
import { SourceError, createLimiter, defaultPolicy, preprocessGuarded, readSource, sourceKind } from '../sources/index.ts';
import type { Preprocess } from './decode-workers.ts';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Fills slot `index` of a batch tensor; resolves to null, or the reason the row failed. */
export type PixelLoader = (value: Buffer, pixels: Float32Array, index: number) => Promise<string | null>;

/** Where a row is decoded: on worker threads (decode-workers.ts) or here, and how many at once. */
export interface Decoding {
  preprocess: Preprocess;
  atOnce: number;
}

/** Decoding on this thread (libvips still decodes on libuv's threads, the resize runs here). */
export function decodeHere(atOnce: number): Decoding {
  return { preprocess: preprocessHere, atOnce };
}

export function pixelLoader(options: ImageOptions, { preprocess, atOnce }: Decoding): PixelLoader {
  const policy = defaultPolicy({
    allowDirs: options.allowDirs,
    allowUrls: options.allowUrls,
    maxBytes: options.maxBytes,
    totalTimeoutMs: options.timeoutMs,
  });
  // Fetches may wait on the network in numbers; decodes are CPU and memory bound.
  const decoding = createLimiter(atOnce);
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
      });
      return null;
    } catch (err) {
      if (err instanceof SourceError) return err.message;
      throw err;
    }
  };
}

const preprocessHere: Preprocess = async (bytes, out, offset, options) => void (await preprocessGuarded(bytes, out, offset, options));
