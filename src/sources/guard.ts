/**
 * What may reach the decoder. libvips would happily open SVG (which can reference other
 * files and URLs), PDF, and more, choosing the loader by content; so the format is decided
 * here from the magic bytes and only the raster formats the image module reproduces
 * (JPEG, PNG, GIF, WebP, TIFF) pass. The declared size is read from the header and checked
 * against the pixel cap before any decoding, so a 100-byte PNG that declares 30000x30000 is
 * refused without allocating its 2.7 GB of pixels.
 *
 * AVIF/HEIF: the bundled libvips can read AVIF, but the image module matches Pillow 9.4,
 * which cannot open it, and decodeImage refuses it; it is refused here by name for the same
 * reason.
 */
import { ImageDecodeError } from '../image/errors.ts';
import { PIL_MAX_PIXELS } from '../image/decode.ts';
import { parseJpegHeader, parsePngHeader, sniffFormat } from '../image/sniff.ts';
import { SourceError, quote } from './errors.ts';

export type AcceptedFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff';

export interface ImageHeader {
  format: AcceptedFormat;
  /** As declared by the header (for GIF, the logical screen; for WebP, the canvas). */
  width: number;
  height: number;
}

export interface GuardOptions {
  /** Largest width * height accepted (default: Pillow's hard limit, as decodeImage). */
  maxPixels?: number;
  /** The argument the bytes came from, put in front of messages. */
  name?: string;
}

const EXPECTED = 'expected a JPEG, PNG, GIF, WebP or TIFF image';

function ascii(b: Uint8Array, start: number, len: number): string {
  let s = '';
  for (let i = start; i < Math.min(b.length, start + len); i++) s += String.fromCharCode(b[i]!);
  return s;
}

function startsWith(b: Uint8Array, bytes: readonly number[], at = 0): boolean {
  if (b.length < at + bytes.length) return false;
  return bytes.every((v, i) => b[at + i] === v);
}

/** Text that is plausibly markup or prose: no NULs and few control bytes in the first KiB. */
function looksLikeText(head: Uint8Array): boolean {
  let control = 0;
  for (const c of head) {
    if (c === 0) return false;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) control++;
  }
  return control <= head.length / 100;
}

/**
 * Names what a refused input is, so the message says what was received. Only the format's
 * name is reported, never the bytes themselves: they may come from any file a path reaches.
 */
export function describeRefused(b: Uint8Array): string {
  const head = b.subarray(0, 4096);
  const text = looksLikeText(head)
    ? Buffer.from(head).toString('latin1').replace(/^\uFEFF|^\u00EF\u00BB\u00BF/, '').trimStart().toLowerCase()
    : null;
  if (text !== null) {
    if (text.startsWith('%pdf-')) return 'PDF';
    if (text.startsWith('%!ps')) return 'PostScript';
    if (text.startsWith('<') && text.includes('<svg')) return 'SVG';
    if (text.startsWith('<!doctype html') || text.startsWith('<html')) return 'HTML';
    if (text.startsWith('<?xml') || text.startsWith('<')) return 'XML or other markup';
    if (text.startsWith('#?radiance') || text.startsWith('#?rgbe')) return 'Radiance HDR';
    if (text.startsWith('simple  =')) return 'FITS';
    if (text.startsWith('id=imagemagick')) return 'ImageMagick MIFF';
  }
  if (ascii(b, 0, 5) === '%PDF-') return 'PDF';
  if (startsWith(b, [0xc5, 0xd0, 0xd3, 0xc6])) return 'EPS';
  if (startsWith(b, [0x42, 0x4d])) return 'BMP';
  if (startsWith(b, [0x1f, 0x8b])) return 'gzip-compressed data (such as SVGZ)';
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive';
  if (ascii(b, 4, 4) === 'ftyp') {
    const brand = ascii(b, 8, 4);
    if (brand === 'avif' || brand === 'avis') return 'AVIF';
    if (['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return 'HEIF';
    return `ISO media (brand '${brand.replace(/[^\x20-\x7e]/g, '?')}')`;
  }
  if (startsWith(b, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(b, [0xff, 0x4f, 0xff, 0x51])) return 'JPEG 2000';
  if (startsWith(b, [0xff, 0x0a]) || startsWith(b, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return 'JPEG XL';
  if (startsWith(b, [0x49, 0x49, 0x2b, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2b])) return 'BigTIFF';
  if (/^P[1-7F][ \t\r\n]/.test(ascii(b, 0, 3))) return 'PNM (PBM/PGM/PPM/PFM)';
  if (ascii(b, 0, 4) === '8BPS') return 'Photoshop PSD';
  if (startsWith(b, [0x76, 0x2f, 0x31, 0x01])) return 'OpenEXR';
  if (startsWith(b, [0x08, 0xf2, 0xa6, 0xb6]) || startsWith(b, [0xb6, 0xa6, 0xf2, 0x08])) return 'VIPS native format';
  if (startsWith(b, [0, 0, 1, 0]) || startsWith(b, [0, 0, 2, 0])) return 'ICO/CUR';
  if (text !== null) return 'text';
  return 'unrecognised binary data';
}

function u16le(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8);
}

function u24le(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
}

function u32le(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16)) + b[i + 3]! * 0x1000000;
}

type Dims = { width: number; height: number } | string;

function gifDims(b: Uint8Array): Dims {
  if (b.length < 10) return 'the GIF header is truncated';
  return { width: u16le(b, 6), height: u16le(b, 8) };
}

/** The canvas of a simple (VP8), lossless (VP8L) or extended (VP8X) WebP. */
function webpDims(b: Uint8Array): Dims {
  if (b.length < 30) return 'the WebP header is truncated';
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8 ') {
    if (!startsWith(b, [0x9d, 0x01, 0x2a], 23)) return 'the VP8 frame header has no start code';
    return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    if (b[20] !== 0x2f) return 'the VP8L header has no signature byte';
    const bits = u32le(b, 21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  return `unknown first WebP chunk '${chunk.replace(/[^\x20-\x7e]/g, '?')}'`;
}

/** ImageWidth (256) and ImageLength (257) of the first IFD, the page libvips decodes. */
function tiffDims(b: Uint8Array): Dims {
  const le = b[0] === 0x49;
  const u16 = (i: number): number => (le ? b[i]! | (b[i + 1]! << 8) : (b[i]! << 8) | b[i + 1]!);
  const u32 = (i: number): number =>
    le ? u16(i) + u16(i + 2) * 0x10000 : u16(i) * 0x10000 + u16(i + 2);
  if (b.length < 8) return 'the TIFF header is truncated';
  const ifd = u32(4);
  if (ifd + 2 > b.length) return 'the first TIFF directory lies past the end of the data';
  const n = u16(ifd);
  let width: number | undefined;
  let height: number | undefined;
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + k * 12;
    if (e + 12 > b.length) return 'the first TIFF directory is truncated';
    const tag = u16(e);
    if (tag !== 256 && tag !== 257) continue;
    const type = u16(e + 2);
    const value = type === 3 ? u16(e + 8) : type === 4 ? u32(e + 8) : undefined;
    if (value === undefined) return `TIFF tag ${tag} has type ${type}; expected SHORT or LONG`;
    if (tag === 256) width = value;
    else height = value;
  }
  if (width === undefined || height === undefined) return 'the first TIFF directory has no ImageWidth/ImageLength';
  return { width, height };
}

function headerDims(format: AcceptedFormat, b: Uint8Array): Dims {
  try {
    switch (format) {
      case 'jpeg': return parseJpegHeader(b);
      case 'png': return parsePngHeader(b);
      case 'gif': return gifDims(b);
      case 'webp': return webpDims(b);
      case 'tiff': return tiffDims(b);
    }
  } catch (e) {
    if (e instanceof ImageDecodeError) return e.message;
    throw e;
  }
}

/** The header as inspectImage reads it with no pixel cap, or the SourceError it refuses with. */
function uncappedHeader(head: Uint8Array): ImageHeader | SourceError {
  try {
    return inspectImage(head, { maxPixels: Number.POSITIVE_INFINITY });
  } catch (e) {
    if (e instanceof SourceError) return e;
    throw e;
  }
}

/**
 * Whether these first bytes of a file are all the header checks and the decoder's parsers
 * read, so the rest can be left to libvips: not for GIF, and not where a header runs past
 * them. Bytes the guard will refuse anyway count as enough.
 */
export function headerInside(head: Uint8Array): boolean {
  if (sniffFormat(head) === 'gif') return false;
  const header = uncappedHeader(head);
  return !(header instanceof SourceError && header.code === 'decode');
}

/** width * height as the header declares it, or 0 where the guard will refuse the image. */
export function declaredPixels(head: Uint8Array): number {
  const header = uncappedHeader(head);
  return header instanceof SourceError ? 0 : header.width * header.height;
}

/**
 * Accepts or refuses image bytes before any decoder sees them: the format by magic bytes,
 * then the declared width * height against `maxPixels`. Returns the header it read; throws
 * SourceError with code 'format', 'decode' (unreadable header) or 'too-many-pixels'.
 */
export function inspectImage(bytes: Uint8Array, options: GuardOptions = {}): ImageHeader {
  const at = options.name === undefined ? '' : `${quote(options.name)}: `;
  const maxPixels = options.maxPixels ?? PIL_MAX_PIXELS;
  if (bytes.length === 0) throw new SourceError(`${at}${EXPECTED} but received 0 bytes (an empty file)`, 'format');
  const sniffed = sniffFormat(bytes);
  if (sniffed === 'unknown' || sniffed === 'bmp') {
    const what = describeRefused(bytes);
    const why = what === 'BMP' ? ' (the bundled libvips cannot read BMP)'
      : what === 'AVIF' || what === 'HEIF' ? ' (Pillow 9.4, which the preprocessing reproduces, cannot open it)'
        : '';
    throw new SourceError(`${at}${EXPECTED} but received ${what}${why}`, 'format');
  }
  const format: AcceptedFormat = sniffed;
  const dims = headerDims(format, bytes);
  if (typeof dims === 'string') throw new SourceError(`${at}cannot read the ${format.toUpperCase()} header: ${dims}`, 'decode');
  const { width, height } = dims;
  if (width === 0 || height === 0) {
    throw new SourceError(`${at}the ${format.toUpperCase()} header declares an empty ${width}x${height} image`, 'decode');
  }
  if (width * height > maxPixels) {
    throw new SourceError(
      `${at}the ${format.toUpperCase()} header declares ${width}x${height} = ${width * height} pixels, ` +
        `more than the ${maxPixels}-pixel limit`,
      'too-many-pixels',
    );
  }
  return { format, width, height };
}
