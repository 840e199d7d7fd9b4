/**
 * Pillow's mode conversions (libImaging/Convert.c) that CLIP's pipeline goes through, with the
 * same integer rounding. Each was checked exhaustively against Debian's Pillow 9.4.
 */

/** MULDIV255(a, b): a*b/255 rounded, the way Pillow does it without a division. */
function muldiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

/**
 * RGBA -> RGBa (rgbA2rgba). Pillow premultiplies LA/RGBA images before resampling and
 * divides again afterwards, which changes colours under partial transparency.
 */
export function premultiplyRgba(src: Uint8Array, out: Uint8Array = new Uint8Array(src.length)): Uint8Array {
  for (let i = 0; i < src.length; i += 4) {
    const a = src[i + 3]!;
    out[i] = muldiv255(src[i]!, a);
    out[i + 1] = muldiv255(src[i + 1]!, a);
    out[i + 2] = muldiv255(src[i + 2]!, a);
    out[i + 3] = a;
  }
  return out;
}

/** RGBa -> RGBA (rgba2rgbA) followed by dropping alpha, as `convert("RGB")` does. */
export function unpremultiplyToRgb(src: Uint8Array, out: Uint8Array): Uint8Array {
  for (let i = 0, o = 0; i < src.length; i += 4, o += 3) {
    const a = src[i + 3]!;
    if (a === 255 || a === 0) {
      out[o] = src[i]!;
      out[o + 1] = src[i + 1]!;
      out[o + 2] = src[i + 2]!;
    } else {
      out[o] = Math.min(255, ((255 * src[i]!) / a) | 0);
      out[o + 1] = Math.min(255, ((255 * src[i + 1]!) / a) | 0);
      out[o + 2] = Math.min(255, ((255 * src[i + 2]!) / a) | 0);
    }
  }
  return out;
}

/** RGBA -> RGB: PIL drops alpha, it does not composite onto a background. */
export function rgbaToRgb(src: Uint8Array, out: Uint8Array): Uint8Array {
  for (let i = 0, o = 0; i < src.length; i += 4, o += 3) {
    out[o] = src[i]!;
    out[o + 1] = src[i + 1]!;
    out[o + 2] = src[i + 2]!;
  }
  return out;
}

export function grayToRgb(src: Uint8Array, out: Uint8Array): Uint8Array {
  for (let i = 0, o = 0; i < src.length; i++, o += 3) {
    const v = src[i]!;
    out[o] = v;
    out[o + 1] = v;
    out[o + 2] = v;
  }
  return out;
}

/**
 * CMYK -> RGB (cmyk2rgb): Pillow's naive formula, no ICC profile, (255-K) scaled by (255-C):
 * R = clip(nk - MULDIV255(C, nk)) with nk = 255 - K.
 */
export function cmykToRgb(src: Uint8Array, out: Uint8Array): Uint8Array {
  for (let i = 0, o = 0; i < src.length; i += 4, o += 3) {
    const nk = 255 - src[i + 3]!;
    out[o] = nk - muldiv255(src[i]!, nk);
    out[o + 1] = nk - muldiv255(src[i + 1]!, nk);
    out[o + 2] = nk - muldiv255(src[i + 2]!, nk);
  }
  return out;
}

/**
 * Mode I -> RGB (i2rgb): values are clipped to 0..255, not scaled. A 16-bit grayscale PNG
 * therefore comes out nearly white in CLIP's pipeline; that is what PIL does, so we do too.
 */
export function int32ToRgb(src: Int32Array, out: Uint8Array): Uint8Array {
  for (let i = 0, o = 0; i < src.length; i++, o += 3) {
    const x = src[i]!;
    const v = x <= 0 ? 0 : x >= 255 ? 255 : x;
    out[o] = v;
    out[o + 1] = v;
    out[o + 2] = v;
  }
  return out;
}
