// Every fixture image through our pipeline vs. PIL's CLIP preprocess (make_reference.py).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clipResizeCrop, clipSourcePart } from '../src/image/clip-transform.ts';
import { decodeImage } from '../src/image/decode.ts';
import { ImageDecodeError } from '../src/image/errors.ts';
import { CLIP_IMAGE_VALUES, clipPixels, preprocessImage, preprocessImageInto } from '../src/image/preprocess.ts';
import { decodeRgb } from '../src/image/rgb.ts';
import {
  diff, fixtureBytes, loadFloat32, loadReferencePixels, loadReferences,
} from './fixtures/images/fixtures.ts';

const refs = loadReferences();
const SIZE = refs.size;
const table = loadFloat32('ref/normalize_table.f32');
const readable = Object.entries(refs.images).filter(([name]) => !name.endsWith('.bmp'));

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** What the normalized tensor must be, from the uint8 reference and numpy's per-value table. */
function expectedTensor(rgb: Uint8Array): Float32Array {
  const n = SIZE * SIZE;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[c * n + i] = table[c * 256 + rgb[i * 3 + c]!]!;
  return out;
}

describe(`CLIP preprocess == PIL ${refs.pillow} reference, uint8 224x224x3 before normalization`, () => {
  it.each(readable)('%s', async (name, entry) => {
    const bytes = fixtureBytes(name);
    const img = await decodeImage(bytes, { name });
    expect({ mode: img.pilMode, width: img.width, height: img.height }).toEqual({
      mode: entry.pilMode, width: entry.width, height: entry.height,
    });
    const ours = clipResizeCrop(img);
    const ref = loadReferencePixels(entry, SIZE);
    const d = diff(ours, ref);
    expect(d, `${name}: ${d.count} bytes differ, max ${d.max}, first at byte ${d.first}`).toEqual({ max: 0, count: 0, first: -1 });
    expect(sha256(ours)).toBe(entry.sha256);
  });
});

describe('decoding only the part the crop reads (what clipPixels does) == PIL reference', () => {
  it.each(readable)('%s', async (name, entry) => {
    const ours = await clipPixels(fixtureBytes(name), { name });
    expect(sha256(ours)).toBe(entry.sha256);
  });

  it('decodes photos in part: the held pixels are that rectangle of the whole decode', async () => {
    // JPEG RGB, gray and CMYK; PNG RGB, RGBA, 8-bit gray and gray+alpha.
    const photos = ['jpeg_1000x600.jpg', 'jpeg_gray.jpg', 'jpeg_cmyk.jpg', 'jpeg_wide_3000x40.jpg', 'jpeg_tall_40x3000.jpg', 'png_rgb.png', 'png_rgba.png', 'png_gray.png', 'png_gray_alpha.png'];
    for (const name of photos) {
      const bytes = fixtureBytes(name);
      const whole = await decodeImage(bytes, { name });
      const img = await decodeImage(bytes, { name, part: (w, h) => clipSourcePart(w, h) });
      const part = img.part!;
      expect(part, name).toBeDefined();
      expect(part, name).toEqual(clipSourcePart(whole.width, whole.height));
      expect(part.width * part.height, name).toBeLessThan(whole.width * whole.height);
      expect([img.width, img.height, img.pilMode, img.layout]).toEqual([whole.width, whole.height, whole.pilMode, whole.layout]);
      const ch = img.data.length / (part.width * part.height);
      for (let y = 0; y < part.height; y++) {
        const s0 = ((part.top + y) * whole.width + part.left) * ch;
        const row = whole.data.subarray(s0, s0 + part.width * ch);
        expect(Buffer.from(img.data.subarray(y * part.width * ch, (y + 1) * part.width * ch)).equals(Buffer.from(row as Uint8Array)), `${name} row ${y}`).toBe(true);
      }
    }
  });

  it('decodes whole what resizes with NEAREST or from 16 bits, and what the crop reads all of', async () => {
    for (const name of ['png_palette_4bit.png', 'png_gray_1bit.png', 'png_gray16.png', 'png_rgb16.png', 'gif_gray.gif', 'webp_lossy.webp', 'tiff_rgb.tif', 'jpeg_224x224.jpg']) {
      const img = await decodeImage(fixtureBytes(name), { name, part: (w, h) => clipSourcePart(w, h) });
      expect(img.part, name).toBeUndefined();
    }
  });
});

describe('decodeRgb == PIL Image.open(p).convert("RGB") at full size', () => {
  it.each(readable)('%s', async (name, entry) => {
    const rgb = await decodeRgb(fixtureBytes(name), { name });
    expect([rgb.width, rgb.height]).toEqual([entry.width, entry.height]);
    expect(sha256(rgb.data)).toBe(entry.fullRgbSha256);
  });
});

describe('normalized float32 [3,224,224]', () => {
  it('numpy table reproduced exactly', async () => {
    const { normalizedValue } = await import('../src/image/normalize.ts');
    for (let c = 0; c < 3; c++) {
      for (let v = 0; v < 256; v++) expect(normalizedValue(c as 0 | 1 | 2, v)).toBe(table[c * 256 + v]);
    }
  });

  it('full tensor of jpeg_baseline_420.jpg equals numpy float32 (max |diff| 0)', async () => {
    const expected = loadFloat32(refs.images['jpeg_baseline_420.jpg']!.refFloat32!);
    const ours = await preprocessImage(fixtureBytes('jpeg_baseline_420.jpg'));
    expect(ours.length).toBe(CLIP_IMAGE_VALUES);
    expect(diff(ours, expected).max).toBe(0);
  });

  it.each(readable)('%s within 1e-6', async (name, entry) => {
    const ours = await preprocessImage(fixtureBytes(name), { name });
    expect(diff(ours, expectedTensor(loadReferencePixels(entry, SIZE))).max).toBeLessThanOrEqual(1e-6);
  });

  it('preprocessImageInto fills one slot of a batch and nothing else', async () => {
    const batch = new Float32Array(3 * CLIP_IMAGE_VALUES).fill(7);
    await preprocessImageInto(fixtureBytes('png_rgb.png'), batch, CLIP_IMAGE_VALUES);
    const single = await preprocessImage(fixtureBytes('png_rgb.png'));
    expect(batch.subarray(0, CLIP_IMAGE_VALUES).every((v) => v === 7)).toBe(true);
    expect(diff(batch.subarray(CLIP_IMAGE_VALUES, 2 * CLIP_IMAGE_VALUES), single).max).toBe(0);
    expect(batch.subarray(2 * CLIP_IMAGE_VALUES).every((v) => v === 7)).toBe(true);
    await expect(preprocessImageInto(fixtureBytes('png_rgb.png'), batch, 2 * CLIP_IMAGE_VALUES + 1)).rejects.toThrow(RangeError);
  });
});

describe('convertFirst option (RGB conversion before Resize) == PIL in that order', () => {
  const cases = readable.filter(([, e]) => e.convertFirstSha256 !== undefined);
  it.each(cases)('%s', async (name, entry) => {
    const ours = await clipPixels(fixtureBytes(name), { convertFirst: true });
    expect(sha256(ours)).toBe(entry.convertFirstSha256);
  });
});

describe('decoder details', () => {
  it('does not apply EXIF orientation (PIL does not)', async () => {
    const img = await decodeImage(fixtureBytes('jpeg_exif_orientation6.jpg'));
    expect([img.width, img.height]).toEqual([400, 300]);
  });

  it('BMP, which PIL reads but bundled libvips cannot, is a clear error', async () => {
    expect(refs.images['bmp_rgb.bmp']).toBeDefined();
    await expect(clipPixels(fixtureBytes('bmp_rgb.bmp'), { name: 'bmp_rgb.bmp' })).rejects.toThrow(
      /bmp_rgb\.bmp: unsupported format BMP/,
    );
    await expect(clipPixels(fixtureBytes('bmp_rgb.bmp'))).rejects.toBeInstanceOf(ImageDecodeError);
  });
});
