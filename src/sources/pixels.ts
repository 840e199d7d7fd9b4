/**
 * Image bytes -> one image's CLIP crop, with the guards in front of the decoder: the
 * format and pixel checks of guard.ts first, then decoding and resizing raced against a
 * timer. That work cannot be cancelled, so it only makes its own 224x224 crop; the crop is
 * copied into the batch once it won the race: a late finisher can never scribble over a
 * slot that the batch has since reused or handed to the model.
 */
import { ImageDecodeError } from '../image/errors.ts';
import { PIL_MAX_PIXELS, headOf } from '../image/decode.ts';
import { CLIP_CROP_BYTES, clipPixels } from '../image/preprocess.ts';
import { releaseNow } from '../image/release.ts';
import type { PreprocessOptions } from '../image/preprocess.ts';
import { SourceError, quote } from './errors.ts';
import { inspectImage } from './guard.ts';
import type { ImageHeader } from './guard.ts';
import type { OpenImageFile } from './file.ts';
import { withTimeout } from './timeout.ts';

export const DEFAULT_DECODE_TIMEOUT_MS = 30_000;

export interface ImageLimits {
  /** Largest declared width * height (default: Pillow's 178956970, as decodeImage). */
  maxPixels: number;
  /** Time allowed for decoding and preprocessing one image. */
  timeoutMs: number;
}

export function defaultImageLimits(overrides: Partial<ImageLimits> = {}): ImageLimits {
  return { maxPixels: PIL_MAX_PIXELS, timeoutMs: DEFAULT_DECODE_TIMEOUT_MS, ...overrides };
}

export interface GuardedPreprocessOptions extends Partial<ImageLimits> {
  /** The row's argument, put in front of messages. */
  name?: string;
  /** Passed on to the preprocessing (e.g. convertFirst); maxPixels comes from the limits. */
  preprocess?: Omit<PreprocessOptions, 'maxPixels' | 'name'>;
}

/**
 * Writes the [224, 224, 3] RGB crop of `input` into `out` at `offset`, or throws a SourceError
 * ('format', 'too-many-pixels', 'decode' or 'timeout') and leaves `out` alone. An open file
 * is closed here once nothing reads it any more.
 */
export async function preprocessGuarded(
  input: Uint8Array | OpenImageFile, out: Uint8Array, offset: number, options: GuardedPreprocessOptions = {},
): Promise<ImageHeader> {
  let work: Promise<Uint8Array> | undefined;
  try {
    const { maxPixels, timeoutMs } = defaultImageLimits({
      ...(options.maxPixels !== undefined && { maxPixels: options.maxPixels }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
    if (!(offset >= 0 && offset + CLIP_CROP_BYTES <= out.length)) {
      throw new RangeError(`preprocessGuarded: output of length ${out.length} cannot hold ${CLIP_CROP_BYTES} bytes at offset ${offset}`);
    }
    const header = inspectImage(headOf(input), { maxPixels, ...(options.name !== undefined && { name: options.name }) });
    const at = options.name === undefined ? '' : `${quote(options.name)}: `;
    let crop: Uint8Array;
    try {
      work = clipPixels(input, { ...options.preprocess, maxPixels });
      crop = await withTimeout(work, timeoutMs, `${at}decoding`);
    } catch (e) {
      if (e instanceof SourceError) throw e;
      // libvips can report several lines; the row's reason must stay on one.
      if (e instanceof ImageDecodeError) throw new SourceError(`${at}${e.message.replace(/\s*\n\s*/g, '; ')}`, 'decode', { cause: e });
      throw e;
    }
    out.set(crop, offset);
    releaseNow(crop);
    return header;
  } finally {
    // Not before the decode has settled, even after a timeout: libvips may not have opened
    // the file yet, and the descriptor's number, once closed, soon names another file.
    if (!(input instanceof Uint8Array)) void (work ?? Promise.resolve()).then(input.close, input.close);
  }
}
