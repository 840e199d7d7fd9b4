/**
 * What PIL (Pillow 9.4 GifImagePlugin) knows about a GIF's first frame that libvips does not
 * tell us: the palette the frame uses, its transparent index, and where the frame sits on the
 * logical screen. libvips renders the frame as RGBA with transparent pixels as (0,0,0,0) and
 * the area outside the frame as transparent; PIL instead keeps the palette index (the
 * transparent index, or 0 outside the frame when there is none) and `convert("RGB")` shows
 * that index's palette colour. We rebuild PIL's view from this header walk.
 */
import { ImageDecodeError, describeBytes } from './errors.ts';

export interface GifFirstFrame {
  screenWidth: number;
  screenHeight: number;
  left: number;
  top: number;
  width: number;
  height: number;
  /** RGB triplets of the palette used by frame 0 (local, else global); null when none. */
  palette: Uint8Array | null;
  /**
   * PIL opens the frame as mode "L" instead of "P" when that palette is missing or is the
   * identity gray ramp; mode decides between BICUBIC and NEAREST in CLIP's Resize.
   */
  mode: 'P' | 'L';
  transparentIndex: number | null;
}

function u16le(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8);
}

/** Pillow's GifImageFile._is_palette_needed, inverted. */
function isIdentityGrayRamp(p: Uint8Array): boolean {
  for (let i = 0; i + 2 < p.length; i += 3) {
    const idx = i / 3;
    if (!(p[i] === idx && p[i + 1] === idx && p[i + 2] === idx)) return false;
  }
  return true;
}

export function parseGifFirstFrame(b: Uint8Array, source?: string): GifFirstFrame {
  const fail = (what: string): never => {
    throw new ImageDecodeError(`not a decodable GIF: ${what}; received ${describeBytes(b)}`, 'gif', source);
  };
  if (b.length < 13) fail('file shorter than the 13-byte header');
  const screenWidth = u16le(b, 6);
  const screenHeight = u16le(b, 8);
  const flags = b[10]!;
  let i = 13;
  let globalPalette: Uint8Array | null = null;
  if (flags & 0x80) {
    const n = 3 << ((flags & 7) + 1);
    if (i + n > b.length) fail('global colour table is truncated');
    globalPalette = b.subarray(i, i + n);
    i += n;
  }
  let transparentIndex: number | null = null;
  while (i < b.length) {
    const s = b[i++]!;
    if (s === 0x3b) break; // trailer
    if (s === 0x21) {
      if (i >= b.length) break;
      const label = b[i++]!;
      let first = true;
      // Sub-blocks: length byte, data, ..., 0.
      while (i < b.length) {
        const len = b[i++]!;
        if (len === 0) break;
        if (first && label === 0xf9 && len >= 4 && i + 4 <= b.length && b[i]! & 1) {
          transparentIndex = b[i + 3]!;
        }
        first = false;
        i += len;
      }
      continue;
    }
    if (s === 0x2c) {
      if (i + 9 > b.length) fail('image descriptor is truncated');
      const left = u16le(b, i);
      const top = u16le(b, i + 2);
      const width = u16le(b, i + 4);
      const height = u16le(b, i + 6);
      const f = b[i + 8]!;
      i += 9;
      let palette = globalPalette;
      if (f & 0x80) {
        const n = 3 << ((f & 7) + 1);
        if (i + n > b.length) fail('local colour table is truncated');
        palette = b.subarray(i, i + n);
      }
      const mode = palette === null || isIdentityGrayRamp(palette) ? 'L' : 'P';
      return { screenWidth, screenHeight, left, top, width, height, palette, mode, transparentIndex };
    }
    // Pillow ignores any other byte between blocks; so do we.
  }
  return fail('no image descriptor before the end of the file');
}

/**
 * The RGB that PIL's `convert("RGB")` gives for a palette index of frame 0. Indices past the
 * end of a short palette fall back to Pillow's default palette, a gray ramp.
 */
export function gifIndexColor(frame: GifFirstFrame, index: number): [number, number, number] {
  const p = frame.palette;
  if (frame.mode === 'P' && p !== null && index * 3 + 2 < p.length) {
    return [p[index * 3]!, p[index * 3 + 1]!, p[index * 3 + 2]!];
  }
  return [index, index, index];
}
