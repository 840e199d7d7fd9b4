/**
 * The geometry of torchvision's `Resize(224)` + `CenterCrop(224)` on a PIL image, and
 * CenterCrop's zero padding for inputs smaller than the crop.
 */

/**
 * Resize(size) with an int size: the shorter side becomes `size`, the longer side
 * `int(size * long / short)` (Python true division, then truncation). A square goes to
 * size x size. Returns [width, height].
 */
export function clipResizeSize(width: number, height: number, size: number): [number, number] {
  if (width <= height) return [size, Math.trunc((size * height) / width)];
  return [Math.trunc((size * width) / height), size];
}

/** Python 3 round(): halves go to the even neighbour. Only ever called on k/2. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export interface CropPlan {
  /** Zero padding added on each side first (torchvision pads when the image is smaller). */
  padLeft: number;
  padTop: number;
  padRight: number;
  padBottom: number;
  /** Top-left of the crop in the padded image. */
  left: number;
  top: number;
  size: number;
}

/**
 * torchvision.transforms.functional.center_crop: pad (left/top get the floor half) where the
 * image is smaller than the crop, then crop at round((dim - size) / 2) with Python's round.
 * After CLIP's Resize both sides are >= size, so the padding branch only matters for
 * callers using this on its own.
 */
export function centerCropPlan(width: number, height: number, size: number): CropPlan {
  const padLeft = size > width ? Math.floor((size - width) / 2) : 0;
  const padTop = size > height ? Math.floor((size - height) / 2) : 0;
  const padRight = size > width ? Math.floor((size - width + 1) / 2) : 0;
  const padBottom = size > height ? Math.floor((size - height + 1) / 2) : 0;
  const w = width + padLeft + padRight;
  const h = height + padTop + padBottom;
  return {
    padLeft, padTop, padRight, padBottom, size,
    left: roundHalfEven((w - size) / 2),
    top: roundHalfEven((h - size) / 2),
  };
}

/**
 * CenterCrop of an interleaved uint8 image (any channel count), padding with zeros like
 * torchvision's `pad(img, ltrb, fill=0)` when needed.
 */
export function centerCrop(src: Uint8Array, width: number, height: number, channels: number, size: number): Uint8Array {
  const p = centerCropPlan(width, height, size);
  const out = new Uint8Array(size * size * channels);
  // Crop origin in source coordinates (may be negative when padded).
  const x0 = p.left - p.padLeft;
  const y0 = p.top - p.padTop;
  for (let y = 0; y < size; y++) {
    const sy = y0 + y;
    if (sy < 0 || sy >= height) continue;
    const xStart = Math.max(0, -x0);
    const xEnd = Math.min(size, width - x0);
    if (xEnd <= xStart) continue;
    const s = (sy * width + x0 + xStart) * channels;
    out.set(src.subarray(s, s + (xEnd - xStart) * channels), (y * size + xStart) * channels);
  }
  return out;
}
