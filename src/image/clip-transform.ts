/**
 * CLIP's `Compose([Resize(224, BICUBIC), CenterCrop(224), convert("RGB"), ...])` up to the
 * uint8 RGB crop. Note the order in OpenAI's clip.py: the image is resized and cropped in the
 * mode PIL opened it in, and only then converted to RGB. For RGB and L images that makes no
 * difference; for P/1 (resized with NEAREST), LA/RGBA (resized premultiplied), CMYK and I it
 * does, and we follow clip.py. `convertFirst` gives the other order (RGB first), which is what
 * `preprocess(Image.open(p).convert("RGB"))` computes.
 */
import { premultiplyRgba, cmykToRgb, grayToRgb, int32ToRgb, unpremultiplyToRgb, rgbaToRgb } from './convert.ts';
import { centerCropPlan, clipResizeSize } from './crop.ts';
import type { DecodedImage } from './decode.ts';
import { layoutChannels } from './decode.ts';
import { sourceSpan } from './coefficients.ts';
import { resizeBicubicI32, resizeBicubicU8, resizeNearestU8 } from './resample.ts';
import type { SourcePart, Window } from './resample.ts';
import { releaseNow } from './release.ts';
import { toRgb } from './rgb.ts';

export interface TransformOptions {
  /** Output side (CLIP ViT-B/32: 224). */
  size?: number;
  /** Convert to RGB before resizing instead of after (not what clip.py does; see above). */
  convertFirst?: boolean;
}

/**
 * The part of a width x height image that BICUBIC resizing and cropping to size x size reads:
 * the crop's rows and columns widened by the filter's support. For a decoder (DecodeOptions.part).
 */
export function clipSourcePart(width: number, height: number, size = 224): SourcePart {
  const [w, h] = clipResizeSize(width, height, size);
  const plan = centerCropPlan(w, h, size);
  const cols = sourceSpan(width, w, plan.left, size);
  const rows = sourceSpan(height, h, plan.top, size);
  return { left: cols.first, top: rows.first, width: cols.end - cols.first, height: rows.end - rows.first };
}

/** Returns the size x size x 3 uint8 (HWC) crop, before ToTensor/Normalize. */
export function clipResizeCrop(img: DecodedImage, opts: TransformOptions = {}): Uint8Array {
  const size = opts.size ?? 224;
  if (opts.convertFirst && img.pilMode !== 'RGB') {
    img = { format: img.format, pilMode: 'RGB', width: img.width, height: img.height, part: img.part, layout: 'RGB', data: toRgb(img) };
  }
  const [w, h] = clipResizeSize(img.width, img.height, size);
  const plan = centerCropPlan(w, h, size);
  // Resize makes the short side exactly `size`, so CenterCrop never has to pad here.
  if (plan.padLeft || plan.padTop || plan.padRight || plan.padBottom) {
    throw new Error(`internal: ${w}x${h} resized image is smaller than the ${size} crop`);
  }
  const win: Window = { x: plan.left, y: plan.top, width: size, height: size };
  const out = new Uint8Array(size * size * 3);
  const ch = layoutChannels(img.layout);
  const nearest = img.pilMode === 'P' || img.pilMode === '1';
  // Only what resizes with BICUBIC from 8-bit samples is decoded in part (decode.ts).
  if (img.part && (nearest || img.layout === 'I')) {
    throw new Error(`internal: a ${img.pilMode} image was decoded in part, but its resize reads the whole image`);
  }

  if (img.layout === 'I') {
    return int32ToRgb(resizeBicubicI32(img.data, img.width, img.height, w, h, win), out);
  }
  const sameSize = w === img.width && h === img.height;
  let px: Uint8Array;
  if (nearest) {
    px = resizeNearestU8(img.data, img.width, img.height, ch, w, h, win);
  } else if (img.layout === 'RGBA' && !sameSize) {
    // Image.resize converts RGBA/LA to premultiplied RGBa/La, resizes, converts back; it
    // returns a plain copy (no premultiply round trip) when the size does not change.
    const pm = premultiplyRgba(img.data);
    const resized = resizeBicubicU8(pm, img.width, img.height, 4, w, h, win, img.part);
    releaseNow(pm);
    return unpremultiplyToRgb(resized, out);
  } else {
    px = resizeBicubicU8(img.data, img.width, img.height, ch, w, h, win, img.part);
  }
  switch (img.layout) {
    case 'RGB':
      return px;
    case 'RGBA':
      return rgbaToRgb(px, out);
    case 'L':
      return grayToRgb(px, out);
    case 'CMYK':
      return cmykToRgb(px, out);
  }
}
