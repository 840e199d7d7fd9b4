/**
 * PIL's `convert("RGB")` of a decoded image at full resolution, i.e. what
 * `Image.open(p).convert("RGB")` holds.
 */
import { cmykToRgb, grayToRgb, int32ToRgb, rgbaToRgb } from './convert.ts';
import { decodeImage } from './decode.ts';
import type { DecodeOptions, DecodedImage } from './decode.ts';

export interface RgbImage {
  /** Interleaved RGB, width * height * 3 bytes. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** `out` may be given to write into; it must hold width * height * 3 bytes. */
export function toRgb(img: DecodedImage, out?: Uint8Array): Uint8Array {
  const n = img.part ? img.part.width * img.part.height : img.width * img.height;
  const dst = out ?? new Uint8Array(n * 3);
  switch (img.layout) {
    case 'RGB':
      if (dst !== img.data) dst.set(img.data.subarray(0, n * 3));
      return dst;
    // Straight alpha is simply dropped: PIL does not composite onto a background.
    case 'RGBA':
      return rgbaToRgb(img.data, dst);
    case 'L':
      return grayToRgb(img.data, dst);
    case 'CMYK':
      return cmykToRgb(img.data, dst);
    case 'I':
      return int32ToRgb(img.data, dst);
  }
}

export async function decodeRgb(input: Uint8Array, opts: DecodeOptions = {}): Promise<RgbImage> {
  const img = await decodeImage(input, opts);
  return { data: toRgb(img), width: img.width, height: img.height };
}
