/**
 * Image bytes -> CLIP ViT-B/32 pixel_values, matching OpenAI's `preprocess` run on
 * `Image.open(p)` with Pillow (see src/image/README.md for what is verified and how).
 */
import { clipResizeCrop, clipSourcePart } from './clip-transform.ts';
import type { TransformOptions } from './clip-transform.ts';
import { decodeImage } from './decode.ts';
import type { DecodeOptions, ImageInput } from './decode.ts';
import { normalizeInto } from './normalize.ts';
import { releaseNow } from './release.ts';

export const CLIP_IMAGE_SIZE = 224;
export const CLIP_IMAGE_VALUES = 3 * CLIP_IMAGE_SIZE * CLIP_IMAGE_SIZE;

export interface PreprocessOptions extends DecodeOptions, Omit<TransformOptions, 'size'> {}

/** The 224x224x3 uint8 crop (HWC) that ToTensor/Normalize turn into the tensor. */
export async function clipPixels(input: ImageInput, opts: PreprocessOptions = {}): Promise<Uint8Array> {
  // Only the pixels the crop reads are decoded (photos; see DecodeOptions.part).
  const img = await decodeImage(input, { ...opts, part: (w, h) => clipSourcePart(w, h, CLIP_IMAGE_SIZE) });
  try {
    return clipResizeCrop(img, { size: CLIP_IMAGE_SIZE, convertFirst: opts.convertFirst });
  } finally {
    // Nothing else holds the decoded pixels, and the crop never aliases them.
    releaseNow(img.data);
  }
}

/**
 * Writes the normalized [3, 224, 224] float32 tensor of one image into `out` at `offset`
 * (e.g. `i * CLIP_IMAGE_VALUES` of a [B, 3, 224, 224] batch buffer).
 */
export async function preprocessImageInto(
  input: ImageInput, out: Float32Array, offset: number, opts: PreprocessOptions = {},
): Promise<void> {
  if (!(offset >= 0 && offset + CLIP_IMAGE_VALUES <= out.length)) {
    throw new RangeError(
      `preprocessImageInto: output of length ${out.length} cannot hold ${CLIP_IMAGE_VALUES} values at offset ${offset}`,
    );
  }
  const rgb = await clipPixels(input, opts);
  normalizeInto(rgb, CLIP_IMAGE_SIZE * CLIP_IMAGE_SIZE, out, offset);
  releaseNow(rgb);
}

/** The normalized [3, 224, 224] float32 tensor of one image. */
export async function preprocessImage(input: ImageInput, opts: PreprocessOptions = {}): Promise<Float32Array> {
  const out = new Float32Array(CLIP_IMAGE_VALUES);
  await preprocessImageInto(input, out, 0, opts);
  return out;
}

/** Bytes of one image's crop, [224, 224, 3]: a byte per value of its tensor (what encode_image hands the model, see model/pixel-feed.ts). */
export const CLIP_CROP_BYTES = CLIP_IMAGE_VALUES;
