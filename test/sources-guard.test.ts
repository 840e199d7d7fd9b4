// What may reach the decoder: raster formats by magic bytes, a pixel cap read from the header
// before decoding, and a time cap on decode + preprocess.
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { clipPixels } from '../src/image/preprocess.ts';
import { CLIP_CROP_BYTES } from '../src/image/preprocess.ts';
import { SourceError } from '../src/sources/errors.ts';
import { declaredPixels, inspectImage } from '../src/sources/guard.ts';
import { preprocessGuarded } from '../src/sources/pixels.ts';
import { fixtureBytes } from './fixtures/images/fixtures.ts';

function refusal(fn: () => unknown): SourceError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SourceError);
    return e as SourceError;
  }
  throw new Error('expected a refusal');
}

async function refusalOf(p: Promise<unknown>): Promise<SourceError> {
  const e = await p.then(() => null, (err: unknown) => err);
  if (!(e instanceof SourceError)) throw new Error(`expected a SourceError, got ${String(e)}`);
  return e;
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** A valid-looking PNG of a few hundred bytes that declares width x height RGB pixels. */
function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  // The first rows of zeros: compresses to almost nothing, as a real bomb would.
  const idat = deflateSync(Buffer.alloc(Math.min(width * 3 + 1, 1 << 20) * 4));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('formats by magic bytes', () => {
  it('SVG is refused, however it starts, before any parser sees it', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">' +
      '<image href="file:///etc/passwd" width="10" height="10"/></svg>';
    for (const text of [svg, `<?xml version="1.0"?>\n${svg}`, `\uFEFF  <!-- c -->\n${svg}`, `<!DOCTYPE svg>${svg}`]) {
      const e = refusal(() => inspectImage(Buffer.from(text), { name: '/u/cat.jpg' }));
      expect(e.code).toBe('format');
      expect(e.message).toBe("'/u/cat.jpg': expected a JPEG, PNG, GIF, WebP or TIFF image but received SVG");
      expect(e.message).not.toContain('passwd');
    }
  });

  it('SVG is refused by the guarded decode as well, and sharp would have read it', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>');
    expect((await sharp(svg).metadata()).format).toBe('svg'); // why the guard exists
    const e = await refusalOf(preprocessGuarded(svg, new Uint8Array(CLIP_CROP_BYTES), 0));
    expect(e.message).toMatch(/received SVG$/);
  });

  it.each([
    ['PDF', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\n', 'latin1')],
    ['PostScript', Buffer.from('%!PS-Adobe-3.0\n')],
    ['HTML', Buffer.from('<!DOCTYPE html><html><body>hi</body></html>')],
    ['XML or other markup', Buffer.from('<?xml version="1.0"?><root/>')],
    ['gzip-compressed data (such as SVGZ)', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])],
    ['a ZIP archive', Buffer.from('PK\x03\x04\x14\x00\x00\x00', 'latin1')],
    ['BigTIFF', Buffer.from([0x49, 0x49, 0x2b, 0x00, 8, 0, 0, 0])],
    ['JPEG 2000', Buffer.from([0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a])],
    ['JPEG XL', Buffer.from([0xff, 0x0a, 0xfa, 0x7f])],
    ['Photoshop PSD', Buffer.from('8BPS\x00\x01', 'latin1')],
    ['PNM (PBM/PGM/PPM/PFM)', Buffer.from('P6\n2 2\n255\n\x00\x00\x00', 'latin1')],
    ['VIPS native format', Buffer.from([0x08, 0xf2, 0xa6, 0xb6, 0, 0, 0, 0])],
    ['text', Buffer.from('root:x:0:0:root:/root:/bin/bash\n')],
    ['unrecognised binary data', Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 0, 0])],
  ])('%s is refused by name, without its bytes', (name, bytes) => {
    const e = refusal(() => inspectImage(bytes));
    expect(e.message).toBe(`expected a JPEG, PNG, GIF, WebP or TIFF image but received ${name}`);
    expect(e.message).not.toContain('root:x');
  });

  it('BMP and AVIF are named with the reason', async () => {
    expect(refusal(() => inspectImage(fixtureBytes('bmp_rgb.bmp'))).message).toMatch(/received BMP \(the bundled libvips cannot read BMP\)$/);
    const avif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).avif().toBuffer();
    expect(refusal(() => inspectImage(avif)).message).toMatch(/received AVIF \(Pillow 9\.4, which the preprocessing reproduces, cannot open it\)$/);
  });

  it('an empty file', () => {
    const e = refusal(() => inspectImage(new Uint8Array(0), { name: 'empty.jpg' }));
    expect(e.message).toBe("'empty.jpg': expected a JPEG, PNG, GIF, WebP or TIFF image but received 0 bytes (an empty file)");
  });

  it.each([
    'jpeg_1000x600.jpg', 'jpeg_cmyk.jpg', 'jpeg_progressive_portrait.jpg', 'jpeg_tall_40x3000.jpg', 'png_rgba16.png',
    'png_palette_4bit.png', 'png_apng.png', 'gif_animated_transparent.gif', 'gif_gray.gif', 'webp_lossy.webp',
    'webp_lossless_rgba.webp', 'webp_lossy_rgba.webp', 'webp_animated.webp', 'tiff_rgb.tif', 'tiff_cmyk.tif',
    'tiff_rgb_lzw.tif', 'tiff_rgba.tif',
  ])('accepts %s with the size libvips reads', async (name) => {
    const bytes = fixtureBytes(name);
    const h = inspectImage(bytes);
    const m = await sharp(bytes, { pages: 1 }).metadata();
    expect(h.format).toBe(m.format === 'heif' ? 'avif' : m.format);
    expect([h.width, h.height]).toEqual([m.width, m.pageHeight ?? m.height]);
  });
});

describe('pixel cap, from the header', () => {
  it('a 30000x30000 PNG of a few hundred bytes is refused at once, with little memory', async () => {
    const bomb = pngDeclaring(30000, 30000);
    expect(bomb.length).toBeLessThan(10_000);
    const before = process.memoryUsage();
    const t0 = performance.now();
    const e = await refusalOf(preprocessGuarded(bomb, new Uint8Array(CLIP_CROP_BYTES), 0, { name: 'bomb.png' }));
    const ms = performance.now() - t0;
    const after = process.memoryUsage();
    expect(e.code).toBe('too-many-pixels');
    expect(e.message).toBe("'bomb.png': the PNG header declares 30000x30000 = 900000000 pixels, more than the 178956970-pixel limit");
    expect(ms).toBeLessThan(100);
    expect(after.rss - before.rss).toBeLessThan(64 * 1024 * 1024);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(16 * 1024 * 1024);
  });

  it('the cap is configurable and applies to every format', () => {
    expect(refusal(() => inspectImage(fixtureBytes('jpeg_1000x600.jpg'), { maxPixels: 599_999 })).message)
      .toBe('the JPEG header declares 1000x600 = 600000 pixels, more than the 599999-pixel limit');
    expect(inspectImage(fixtureBytes('jpeg_1000x600.jpg'), { maxPixels: 600_000 }).width).toBe(1000);
    for (const name of ['png_rgb.png', 'gif_gray.gif', 'webp_lossy.webp', 'webp_lossless_rgba.webp', 'webp_animated.webp', 'tiff_rgb.tif']) {
      expect(refusal(() => inspectImage(fixtureBytes(name), { maxPixels: 10 })).code).toBe('too-many-pixels');
    }
  });

  it('headers declaring huge sizes in the other formats', () => {
    const gif = Buffer.from('GIF89a\xff\xff\xff\xff\x00\x00\x00;', 'latin1');
    expect(refusal(() => inspectImage(gif)).message).toMatch(/GIF header declares 65535x65535 = 4294836225 pixels/);
    const webp = Buffer.alloc(30);
    webp.write('RIFF', 0, 'latin1');
    webp.writeUInt32LE(22, 4);
    webp.write('WEBPVP8X', 8, 'latin1');
    webp.writeUInt32LE(10, 16);
    webp.writeUIntLE(0xffffff, 24, 3);
    webp.writeUIntLE(0xffffff, 27, 3);
    expect(refusal(() => inspectImage(webp)).message).toMatch(/WEBP header declares 16777216x16777216 = /);
    const tiff = Buffer.alloc(8 + 2 + 24 + 4);
    tiff.write('II*\0', 0, 'latin1');
    tiff.writeUInt32LE(8, 4);
    tiff.writeUInt16LE(2, 8);
    tiff.writeUInt16LE(256, 10); tiff.writeUInt16LE(4, 12); tiff.writeUInt32LE(1, 14); tiff.writeUInt32LE(100000, 18);
    tiff.writeUInt16LE(257, 22); tiff.writeUInt16LE(4, 24); tiff.writeUInt32LE(1, 26); tiff.writeUInt32LE(100000, 30);
    expect(refusal(() => inspectImage(tiff)).message).toMatch(/TIFF header declares 100000x100000 = 10000000000 pixels/);
    const jpeg = Buffer.from(fixtureBytes('jpeg_tiny_50x30.jpg'));
    const sof = jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xc0);
    jpeg.writeUInt16BE(65000, sof + 5);
    jpeg.writeUInt16BE(65000, sof + 7);
    expect(refusal(() => inspectImage(jpeg)).message).toMatch(/JPEG header declares 65000x65000/);
  });

  it('unreadable headers and empty sizes', () => {
    expect(refusal(() => inspectImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).message).toMatch(/^cannot read the JPEG header: not a decodable JPEG: no frame header/);
    expect(refusal(() => inspectImage(pngDeclaring(30000, 30000).subarray(0, 20))).code).toBe('decode');
    expect(refusal(() => inspectImage(Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'))).message).toMatch(/the WebP header is truncated/);
    expect(refusal(() => inspectImage(pngDeclaring(0, 5))).message).toBe('the PNG header declares an empty 0x5 image');
  });
});

describe('guarded decode', () => {
  it('gives the same crop as the plain preprocessing, at the offset asked', async () => {
    const bytes = fixtureBytes('jpeg_224x300.jpg');
    const out = new Uint8Array(CLIP_CROP_BYTES * 2);
    const h = await preprocessGuarded(bytes, out, CLIP_CROP_BYTES, { name: 'x' });
    expect(h).toEqual({ format: 'jpeg', width: 224, height: 300 });
    expect(out.subarray(CLIP_CROP_BYTES)).toEqual(await clipPixels(bytes));
    expect(out.subarray(0, CLIP_CROP_BYTES).every((v) => v === 0)).toBe(true);
  });

  it('a truncated JPEG fails with the decoder\'s reason', async () => {
    const full = fixtureBytes('jpeg_1000x600.jpg');
    const e = await refusalOf(preprocessGuarded(full.subarray(0, full.length >> 1), new Uint8Array(CLIP_CROP_BYTES), 0, { name: 'half.jpg' }));
    expect(e.code).toBe('decode');
    expect(e.message).toMatch(/^'half\.jpg': cannot decode JPEG image \(1000x600, 3 components, \d+ bytes\): .+/);
    expect(e.message).not.toContain('\n');
  });

  it('times out, and the late result never lands in the output', async () => {
    const bytes = fixtureBytes('jpeg_huge_4000x3000.jpg');
    const out = new Uint8Array(CLIP_CROP_BYTES);
    const t0 = performance.now();
    const e = await refusalOf(preprocessGuarded(bytes, out, 0, { timeoutMs: 1, name: 'huge.jpg' }));
    expect(performance.now() - t0).toBeLessThan(200);
    expect(e.code).toBe('timeout');
    expect(e.message).toBe("'huge.jpg': decoding timed out after 1 ms");
    await new Promise((r) => setTimeout(r, 1500)); // let the abandoned decode finish
    expect(out.every((v) => v === 0)).toBe(true);
  }, 10000);
});

describe('declaredPixels (what a decode will hold, for the decode budget)', () => {
  it('is width * height from the header alone, 0 where the guard refuses', () => {
    expect(declaredPixels(fixtureBytes('jpeg_1000x600.jpg').subarray(0, 4096))).toBe(1000 * 600);
    expect(declaredPixels(fixtureBytes('png_rgb.png').subarray(0, 64))).toBe(inspectImage(fixtureBytes('png_rgb.png')).width * inspectImage(fixtureBytes('png_rgb.png')).height);
    expect(declaredPixels(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe(0);
    expect(declaredPixels(fixtureBytes('jpeg_1000x600.jpg').subarray(0, 10))).toBe(0);
  });
});
