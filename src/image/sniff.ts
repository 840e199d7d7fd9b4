/**
 * Container sniffing and the few header fields that decide how PIL would open an image.
 * libvips hides some of them (a PNG's colour type and bit depth) behind its own
 * colour handling, and PIL's behaviour depends on exactly those, so we read them ourselves.
 */
import { ImageDecodeError, describeBytes } from './errors.ts';

export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'bmp' | 'unknown';

export function sniffFormat(b: Uint8Array): ImageFormat {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (
    b.length >= 8 &&
    b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 &&
    b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a
  ) {
    return 'png';
  }
  if (b.length >= 6 && ascii(b, 0, 6) === 'GIF87a') return 'gif';
  if (b.length >= 6 && ascii(b, 0, 6) === 'GIF89a') return 'gif';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'webp';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) ||
    (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a))) {
    return 'tiff';
  }
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  return 'unknown';
}

function ascii(b: Uint8Array, start: number, len: number): string {
  let s = '';
  for (let i = start; i < start + len; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function u16be(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

function u32be(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
}

export interface JpegHeader {
  width: number;
  height: number;
  /** 1 = grayscale, 3 = YCbCr/RGB, 4 = CMYK/YCCK. */
  components: number;
}

/** Walks the JPEG markers up to the first scan; throws if there is no frame header. */
export function parseJpegHeader(b: Uint8Array, source?: string): JpegHeader {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) {
      // libjpeg skips garbage before a marker (with a warning); so do we.
      i++;
      continue;
    }
    let m = b[i + 1]!;
    while (m === 0xff && i + 2 < b.length) {
      i++;
      m = b[i + 1]!;
    }
    i += 2;
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) continue; // markers without a length
    if (m === 0xd9 || m === 0xda) break; // EOI / SOS: no frame header before the data
    if (i + 2 > b.length) break;
    const len = u16be(b, i);
    const isSof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (isSof && i + 8 <= b.length) {
      return { height: u16be(b, i + 3), width: u16be(b, i + 5), components: b[i + 7]! };
    }
    i += len;
  }
  throw new ImageDecodeError(
    `not a decodable JPEG: no frame header (SOFn marker) found; received ${describeBytes(b)}`,
    'jpeg',
    source,
  );
}

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: number;
}

export function parsePngHeader(b: Uint8Array, source?: string): PngHeader {
  if (b.length < 33 || ascii(b, 12, 4) !== 'IHDR') {
    throw new ImageDecodeError(
      `not a decodable PNG: expected an IHDR chunk right after the signature; received ${describeBytes(b)}`,
      'png',
      source,
    );
  }
  return { width: u32be(b, 16), height: u32be(b, 20), bitDepth: b[24]!, colorType: b[25]! };
}
