/**
 * Decoding with sharp/libvips into the pixels PIL's `Image.open(p)` would hold.
 *
 * libvips and Pillow use the same codecs underneath (libjpeg-turbo, libpng, libwebp,
 * libtiff), and their decoded samples agree byte for byte; what differs is what each does
 * around the codec. sharp would by default apply an embedded ICC profile, convert CMYK with
 * an ICC profile, reduce 16-bit to 8-bit its own way, and render GIF transparency as black;
 * PIL does none of that. So we ask sharp for the untouched samples (ICC ignored, CMYK kept as
 * CMYK, 16-bit kept as 16-bit, no EXIF rotation, no shrink-on-load) and do PIL's own
 * conversions in TypeScript, keeping PIL's mode, because CLIP resizes *before* converting to
 * RGB and the mode decides how it resizes (NEAREST for P and 1, premultiplied alpha for LA
 * and RGBA, int32 for I, four channels for CMYK).
 */
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import { ImageDecodeError, describeBytes } from './errors.ts';
import { parseGifFirstFrame, gifIndexColor } from './gif.ts';
import type { GifFirstFrame } from './gif.ts';
import { parseJpegHeader, parsePngHeader, sniffFormat } from './sniff.ts';
import type { ImageFormat } from './sniff.ts';
import { rgbaToRgb } from './convert.ts';
import type { SourcePart } from './coefficients.ts';

/** Image modes PIL can give for the formats we accept. */
export type PilMode = 'RGB' | 'RGBA' | 'L' | 'LA' | 'P' | '1' | 'CMYK' | 'I';

interface Common {
  format: Exclude<ImageFormat, 'unknown' | 'bmp'>;
  /** The mode PIL would open the file in. */
  pilMode: PilMode;
  /** The whole image's size, as PIL reports it. */
  width: number;
  height: number;
  /** Set when `data` holds only this part of the image (DecodeOptions.part). */
  part?: SourcePart;
}

/**
 * Interleaved samples. 'RGBA' holds straight (not premultiplied) alpha; PIL's LA is stored as
 * RGBA with the gray replicated, which resizes identically. P and 1 are stored already looked
 * up through the palette (RGB, or L for 1), which is equivalent because they are only ever
 * resized with NEAREST.
 */
export type DecodedImage = Common & (
  | { layout: 'L' | 'RGB' | 'RGBA' | 'CMYK'; data: Uint8Array }
  | { layout: 'I'; data: Int32Array }
);

export type Layout = DecodedImage['layout'];

export function layoutChannels(layout: Layout): 1 | 3 | 4 {
  return layout === 'L' || layout === 'I' ? 1 : layout === 'RGB' ? 3 : 4;
}

/**
 * An image libvips reads from a file itself, so its bytes never sit in memory whole (a
 * 2400x1800 PNG is 11 MB, held for its whole decode otherwise). `head` holds the file's
 * first bytes, which must contain every header the format's parser reads.
 */
export interface ImageFile {
  path: string;
  head: Uint8Array;
  size: number;
}

/** Bytes, or a file libvips opens. */
export type ImageInput = Uint8Array | ImageFile;

/** What the header parsers read: all the bytes, or a file's first ones. */
export function headOf(input: ImageInput): Uint8Array {
  return input instanceof Uint8Array ? input : input.head;
}

function sizeOf(input: ImageInput): number {
  return input instanceof Uint8Array ? input.length : input.size;
}

/** What sharp is given: the bytes, or the path libvips opens itself. */
function sharpInput(input: ImageInput): Uint8Array | string {
  return input instanceof Uint8Array ? input : input.path;
}

export interface DecodeOptions {
  /** Label used in error messages (file name, row id). */
  name?: string;
  /**
   * Refuse images with more pixels than this. Default: PIL's hard limit, 2 * MAX_IMAGE_PIXELS
   * = 178956970, past which `Image.open` raises DecompressionBombError.
   */
  maxPixels?: number;
  /**
   * The part of the image the caller will read, given its size. Photos (8-bit JPEG and PNG in
   * modes that resize with BICUBIC) are then decoded into just that part: a centre crop needs
   * about 3/4 of a 4:3 photo and less of a panorama, and the rest need not be held or copied.
   */
  part?: (width: number, height: number) => SourcePart;
}

type SharpModule = (typeof import('sharp'))['default'];
let loaded: Promise<SharpModule> | undefined;

/**
 * sharp, loaded on first use: libvips takes ~70 ms to load, which encode_image spends while
 * its model loads on another thread rather than before it starts (see loadDecoder()).
 */
function sharp(): Promise<SharpModule> {
  loaded ??= import('sharp').then((m) => {
    const s = m.default;
    // libvips keeps recent operations and their pixels (up to 50 MB by default) to answer a
    // repeat of the same call; every row here is new bytes, so that memory only ever held
    // leftovers (bench: encode_image peaked ~15 MB lower without it, same speed).
    s.cache(false);
    // Only the loaders of the formats the guard lets through. libvips picks a loader by
    // content, and a file it reads itself (ImageFile) can be rewritten after the guard read
    // its head: into an SVG, say, which could pull in other files.
    s.block({ operation: ['VipsForeignLoad'] });
    s.unblock({ operation: ['VipsForeignLoadJpeg', 'VipsForeignLoadPng', 'VipsForeignLoadNsgif', 'VipsForeignLoadWebp', 'VipsForeignLoadTiff'] });
    return s;
  });
  return loaded;
}

/** Starts loading the decoder now; resolves once it is ready. */
export async function loadDecoder(): Promise<void> {
  await sharp();
}

export const PIL_MAX_PIXELS = 2 * Math.floor((1024 * 1024 * 1024) / 4 / 3);

const FORMAT_NAMES: Record<string, string> = {
  jpeg: 'JPEG', png: 'PNG', gif: 'GIF', webp: 'WebP', tiff: 'TIFF', bmp: 'BMP', unknown: 'unknown',
};

function baseOptions(opts: DecodeOptions): SharpOptions {
  return {
    // PIL refuses truncated files (unless LOAD_TRUNCATED_IMAGES) but decodes through libjpeg
    // warnings (extraneous bytes, corrupt entropy data), as libvips does at this level.
    // ('truncated' would let a truncated TIFF through as a partly blank image.)
    failOn: 'error',
    limitInputPixels: opts.maxPixels ?? PIL_MAX_PIXELS,
    ignoreIcc: true,
    autoOrient: false,
    pages: 1,
    page: 0,
  };
}

interface Raw {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

async function runSharp(
  input: ImageInput, format: string, opts: DecodeOptions, header: string,
  configure: (s: Sharp) => Sharp, { depth, part }: { depth?: 'ushort'; part?: SourcePart } = {},
): Promise<Raw> {
  let raw: Raw;
  try {
    const s = configure((await sharp())(sharpInput(input), baseOptions(opts)));
    if (part) s.extract(part);
    const { data, info } = await (depth ? s.raw({ depth }) : s.raw()).toBuffer({ resolveWithObject: true });
    raw = { data, width: info.width, height: info.height, channels: info.channels };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new ImageDecodeError(
      `cannot decode ${FORMAT_NAMES[format]} image (${header}${sizeOf(input)} bytes): ${msg.trim()}`,
      format,
      opts.name,
      { cause: e },
    );
  }
  // The part was planned on the header's size; libvips must have decoded that size.
  if (part && (raw.width !== part.width || raw.height !== part.height)) {
    throw new ImageDecodeError(
      `cannot decode ${FORMAT_NAMES[format]} image (${header}${sizeOf(input)} bytes): asked libvips for ` +
        `${part.width}x${part.height} pixels at ${part.left},${part.top} and received ${raw.width}x${raw.height}`,
      format,
      opts.name,
    );
  }
  return raw;
}

/** The part to decode of a width x height photo: undefined for all of it. */
function partOf(opts: DecodeOptions, width: number, height: number): SourcePart | undefined {
  const part = opts.part?.(width, height);
  return part && (part.width < width || part.height < height) ? part : undefined;
}

/** The size fields of an image decoded into `raw`, whole or the given part of it. */
function sizeFields(raw: Raw, width: number, height: number, part: SourcePart | undefined): Pick<Common, 'width' | 'height' | 'part'> {
  return part ? { width, height, part } : { width: raw.width, height: raw.height };
}

function u8(raw: Raw): Uint8Array {
  return new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.length);
}

function u16(raw: Raw): Uint16Array {
  // libvips returns native-endian samples; copy if the Buffer happens to be misaligned.
  const b = raw.data;
  if (b.byteOffset % 2 === 0) return new Uint16Array(b.buffer, b.byteOffset, b.length / 2);
  return new Uint16Array(new Uint8Array(b).buffer);
}

function dropAlphaIfAny(raw: Raw, colorChannels: 1 | 3): Uint8Array {
  const d = u8(raw);
  if (raw.channels === colorChannels) return d;
  const n = raw.width * raw.height;
  if (colorChannels === 3 && raw.channels === 4) return rgbaToRgb(d, new Uint8Array(n * 3));
  const out = new Uint8Array(n * colorChannels);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < colorChannels; c++) out[i * colorChannels + c] = d[i * raw.channels + c]!;
  }
  return out;
}

function checkChannels(raw: Raw, allowed: number[], format: string, what: string, opts: DecodeOptions): void {
  if (!allowed.includes(raw.channels)) {
    throw new ImageDecodeError(
      `unexpected decoder output for ${what} ${FORMAT_NAMES[format]}: expected ${allowed.join(' or ')} ` +
        `channels, libvips gave ${raw.channels}`,
      format,
      opts.name,
    );
  }
}

async function decodeJpeg(input: ImageInput, opts: DecodeOptions): Promise<DecodedImage> {
  const h = parseJpegHeader(headOf(input), opts.name);
  const hdr = `${h.width}x${h.height}, ${h.components} components, `;
  // L, RGB and CMYK all resize with BICUBIC.
  const part = partOf(opts, h.width, h.height);
  if (h.components === 1) {
    const raw = await runSharp(input, 'jpeg', opts, hdr, (s) => s.toColourspace('b-w'), { part });
    checkChannels(raw, [1], 'jpeg', 'a grayscale', opts);
    return { format: 'jpeg', pilMode: 'L', ...sizeFields(raw, h.width, h.height, part), layout: 'L', data: u8(raw) };
  }
  if (h.components === 4) {
    // Keep CMYK: without this sharp converts to sRGB through an ICC profile; PIL uses its
    // naive formula after resizing.
    const raw = await runSharp(input, 'jpeg', opts, hdr, (s) => s.pipelineColourspace('cmyk').toColourspace('cmyk'), { part });
    checkChannels(raw, [4], 'jpeg', 'a CMYK', opts);
    // Both PIL ("CMYK;I") and libvips assume Adobe-style inverted CMYK, with or without an
    // Adobe APP14 marker, and undo the inversion: the samples agree as they come.
    return { format: 'jpeg', pilMode: 'CMYK', ...sizeFields(raw, h.width, h.height, part), layout: 'CMYK', data: u8(raw) };
  }
  const raw = await runSharp(input, 'jpeg', opts, hdr, (s) => s, { part });
  checkChannels(raw, [3], 'jpeg', 'a colour', opts);
  return { format: 'jpeg', pilMode: 'RGB', ...sizeFields(raw, h.width, h.height, part), layout: 'RGB', data: u8(raw) };
}

async function decodePng(input: ImageInput, opts: DecodeOptions): Promise<DecodedImage> {
  const h = parsePngHeader(headOf(input), opts.name);
  const hdr = `${h.width}x${h.height}, colour type ${h.colorType}, ${h.bitDepth}-bit, `;
  const gray = h.colorType === 0 || h.colorType === 4;
  if (h.bitDepth === 16) {
    // PIL keeps only the high byte of 16-bit samples ("RGB;16B" etc.), except for plain
    // 16-bit gray, which it opens as 32-bit mode I. libvips would scale to 8 bits its own way,
    // so ask for the 16-bit samples.
    const raw = await runSharp(input, 'png', opts, hdr, (s) => s.toColourspace(gray ? 'grey16' : 'rgb16'), { depth: 'ushort' });
    const src = u16(raw);
    const n = raw.width * raw.height;
    const ch = raw.channels;
    const base = { format: 'png' as const, width: raw.width, height: raw.height };
    if (h.colorType === 0) {
      checkChannels(raw, [1, 2], 'png', 'a 16-bit gray', opts);
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = src[i * ch]!;
      return { ...base, pilMode: 'I', layout: 'I', data };
    }
    if (h.colorType === 4) {
      // Pillow 9.4 maps 16-bit gray+alpha to mode RGBA ("LA;16B" unpacks to RGBA).
      checkChannels(raw, [2], 'png', 'a 16-bit gray+alpha', opts);
      const data = new Uint8Array(n * 4);
      for (let i = 0; i < n; i++) {
        const v = src[i * 2]! >> 8;
        data[i * 4] = v;
        data[i * 4 + 1] = v;
        data[i * 4 + 2] = v;
        data[i * 4 + 3] = src[i * 2 + 1]! >> 8;
      }
      return { ...base, pilMode: 'RGBA', layout: 'RGBA', data };
    }
    checkChannels(raw, [3, 4], 'png', 'a 16-bit colour', opts);
    const withAlpha = h.colorType === 6;
    const outCh = withAlpha ? 4 : 3;
    const data = new Uint8Array(n * outCh);
    for (let i = 0; i < n; i++) {
      // A tRNS chunk on 16-bit RGB adds an alpha band in libvips; PIL's mode stays RGB.
      for (let c = 0; c < outCh; c++) data[i * outCh + c] = src[i * ch + c]! >> 8;
    }
    return withAlpha
      ? { ...base, pilMode: 'RGBA', layout: 'RGBA', data }
      : { ...base, pilMode: 'RGB', layout: 'RGB', data };
  }
  // 1-bit gray (mode 1) and palette images (P) resize with NEAREST: decoded whole.
  const part = h.bitDepth === 1 || h.colorType === 3 ? undefined : partOf(opts, h.width, h.height);
  if (h.colorType === 0) {
    // 'b-w' output is the single gray band (a tRNS alpha, which PIL ignores, is dropped).
    const raw = await runSharp(input, 'png', opts, hdr, (s) => s.toColourspace('b-w'), { part });
    checkChannels(raw, [1], 'png', 'a gray', opts);
    return {
      format: 'png', pilMode: h.bitDepth === 1 ? '1' : 'L', ...sizeFields(raw, h.width, h.height, part),
      layout: 'L', data: u8(raw),
    };
  }
  // Everything else comes out of libvips as sRGB (gray replicated), with alpha when the file
  // has an alpha channel or a tRNS chunk.
  const raw = await runSharp(input, 'png', opts, hdr, (s) => s, { part });
  const base = { format: 'png' as const, ...sizeFields(raw, h.width, h.height, part) };
  if (h.colorType === 4 || h.colorType === 6) {
    checkChannels(raw, [4], 'png', 'an alpha', opts);
    return { ...base, pilMode: h.colorType === 4 ? 'LA' : 'RGBA', layout: 'RGBA', data: u8(raw) };
  }
  checkChannels(raw, [3, 4], 'png', h.colorType === 3 ? 'a palette' : 'an RGB', opts);
  // PIL keeps palette/RGB images with tRNS in mode P/RGB; transparency plays no part in
  // convert("RGB"), so the alpha band libvips adds is dropped.
  return { ...base, pilMode: h.colorType === 3 ? 'P' : 'RGB', layout: 'RGB', data: dropAlphaIfAny(raw, 3) };
}

async function decodeGif(input: Uint8Array, opts: DecodeOptions): Promise<DecodedImage> {
  const f: GifFirstFrame = parseGifFirstFrame(input, opts.name);
  const hdr = `${f.screenWidth}x${f.screenHeight}, `;
  if (f.left + f.width > f.screenWidth || f.top + f.height > f.screenHeight) {
    throw new ImageDecodeError(
      `unsupported GIF: the first frame (${f.width}x${f.height} at ${f.left},${f.top}) extends past the ` +
        `${f.screenWidth}x${f.screenHeight} logical screen; PIL grows the image there and libvips clips it`,
      'gif',
      opts.name,
    );
  }
  const raw = await runSharp(input, 'gif', opts, hdr, (s) => s);
  checkChannels(raw, [3, 4], 'gif', 'the first frame of a', opts);
  const src = u8(raw);
  const { width, height, channels: ch } = raw;
  const data = new Uint8Array(width * height * 3);
  // PIL: transparent pixels keep the transparent index; outside the frame, the image is
  // filled with the transparent index, or index 0 when there is none.
  const [tr, tg, tb] = gifIndexColor(f, f.transparentIndex ?? 0);
  const x1 = f.left + f.width;
  const y1 = f.top + f.height;
  for (let y = 0, i = 0, o = 0; y < height; y++) {
    const rowInside = y >= f.top && y < y1;
    for (let x = 0; x < width; x++, i += ch, o += 3) {
      const inside = rowInside && x >= f.left && x < x1;
      if (!inside || (ch === 4 && src[i + 3] === 0)) {
        data[o] = tr;
        data[o + 1] = tg;
        data[o + 2] = tb;
      } else {
        data[o] = src[i]!;
        data[o + 1] = src[i + 1]!;
        data[o + 2] = src[i + 2]!;
      }
    }
  }
  // Mode L GIFs have an identity gray palette, so the RGB triplets are the indices.
  return { format: 'gif', pilMode: f.mode, width, height, layout: 'RGB', data };
}

async function decodeWebp(input: ImageInput, opts: DecodeOptions): Promise<DecodedImage> {
  const raw = await runSharp(input, 'webp', opts, '', (s) => s);
  checkChannels(raw, [3, 4], 'webp', 'a', opts);
  const base = { format: 'webp' as const, width: raw.width, height: raw.height, data: u8(raw) };
  return raw.channels === 4 ? { ...base, pilMode: 'RGBA', layout: 'RGBA' } : { ...base, pilMode: 'RGB', layout: 'RGB' };
}

async function decodeTiff(input: ImageInput, opts: DecodeOptions): Promise<DecodedImage> {
  let m: Metadata;
  try {
    m = await (await sharp())(sharpInput(input), baseOptions(opts)).metadata();
  } catch (e) {
    throw new ImageDecodeError(
      `cannot decode TIFF image (${sizeOf(input)} bytes): ${e instanceof Error ? e.message : String(e)}`,
      'tiff', opts.name, { cause: e },
    );
  }
  const hdr = `${m.width}x${m.height}, ${m.space}, ${m.channels} channels, `;
  if (m.depth !== 'uchar') {
    throw new ImageDecodeError(
      `unsupported TIFF: ${m.depth} samples; only 8-bit TIFFs are supported (Pillow 9.4 cannot ` +
        `BICUBIC-resize 16-bit grayscale TIFFs at all, and 16-bit colour TIFFs were not verified)`,
      'tiff', opts.name,
    );
  }
  const base = { format: 'tiff' as const };
  if (m.space === 'cmyk') {
    // TIFF CMYK is not inverted, and PIL reads it as is ("CMYK" rawmode).
    const raw = await runSharp(input, 'tiff', opts, hdr, (s) => s.pipelineColourspace('cmyk').toColourspace('cmyk'));
    checkChannels(raw, [4, 5], 'tiff', 'a CMYK', opts);
    const data = raw.channels === 4 ? u8(raw) : dropExtra(raw, 4);
    return { ...base, pilMode: 'CMYK', width: raw.width, height: raw.height, layout: 'CMYK', data };
  }
  if (m.space === 'b-w' && m.channels === 1) {
    const raw = await runSharp(input, 'tiff', opts, hdr, (s) => s.toColourspace('b-w'));
    checkChannels(raw, [1], 'tiff', 'a gray', opts);
    return {
      ...base, pilMode: m.bitsPerSample === 1 ? '1' : 'L', width: raw.width, height: raw.height,
      layout: 'L', data: u8(raw),
    };
  }
  const raw = await runSharp(input, 'tiff', opts, hdr, (s) => s);
  checkChannels(raw, [3, 4], 'tiff', 'a colour', opts);
  const dims = { width: raw.width, height: raw.height };
  if (m.isPalette) return { ...base, ...dims, pilMode: 'P', layout: 'RGB', data: dropAlphaIfAny(raw, 3) };
  if (raw.channels === 4) {
    return { ...base, ...dims, pilMode: m.space === 'b-w' ? 'LA' : 'RGBA', layout: 'RGBA', data: u8(raw) };
  }
  return { ...base, ...dims, pilMode: 'RGB', layout: 'RGB', data: u8(raw) };
}

function isImageFile(x: unknown): x is ImageFile {
  const f = x as ImageFile | null;
  return typeof f === 'object' && f !== null && typeof f.path === 'string' && f.head instanceof Uint8Array && typeof f.size === 'number';
}

function dropExtra(raw: Raw, keep: number): Uint8Array {
  const d = u8(raw);
  const n = raw.width * raw.height;
  const out = new Uint8Array(n * keep);
  for (let i = 0; i < n; i++) for (let c = 0; c < keep; c++) out[i * keep + c] = d[i * raw.channels + c]!;
  return out;
}

/**
 * Decodes an image into the pixels and mode PIL's `Image.open` would produce (first frame,
 * full resolution, EXIF orientation not applied, ICC profile ignored).
 */
export async function decodeImage(input: ImageInput, opts: DecodeOptions = {}): Promise<DecodedImage> {
  if (!(input instanceof Uint8Array || isImageFile(input))) {
    throw new ImageDecodeError(
      `expected image bytes as a Buffer or Uint8Array, or an image file, received ${input === null ? 'null' : typeof input}`,
      'unknown', opts.name,
    );
  }
  const format = sniffFormat(headOf(input));
  switch (format) {
    case 'jpeg':
      return decodeJpeg(input, opts);
    case 'png':
      return decodePng(input, opts);
    case 'gif':
      // The first frame's palette and descriptor can lie anywhere past the head.
      if (!(input instanceof Uint8Array)) throw new ImageDecodeError('a GIF must be decoded from its bytes, not a file', 'gif', opts.name);
      return decodeGif(input, opts);
    case 'webp':
      return decodeWebp(input, opts);
    case 'tiff':
      return decodeTiff(input, opts);
    case 'bmp':
      throw new ImageDecodeError(
        `unsupported format BMP: the bundled libvips cannot read BMP; expected JPEG, PNG, GIF, WebP or TIFF`,
        'bmp', opts.name,
      );
    default:
      throw new ImageDecodeError(
        `not a recognised image: expected JPEG, PNG, GIF, WebP or TIFF bytes, received ${describeBytes(headOf(input), sizeOf(input))}`,
        'unknown', opts.name,
      );
  }
}
