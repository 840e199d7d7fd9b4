// Bad input gives an ImageDecodeError that says what was expected and what was received.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../src/image/decode.ts';
import { ImageDecodeError } from '../src/image/errors.ts';
import { preprocessImage } from '../src/image/preprocess.ts';
import { fixtureBytes } from './fixtures/images/fixtures.ts';

async function errorOf(p: Promise<unknown>): Promise<ImageDecodeError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ImageDecodeError);
    return e as ImageDecodeError;
  }
  throw new Error('expected a rejection');
}

describe('not an image', () => {
  it('text', async () => {
    const e = await errorOf(preprocessImage(Buffer.from('hello world, this is not an image'), { name: 'row 17' }));
    expect(e.message).toBe(
      'row 17: not a recognised image: expected JPEG, PNG, GIF, WebP or TIFF bytes, received 33 bytes ' +
        'starting with 68 65 6c 6c 6f 20 77 6f ("hello wo")',
    );
    expect(e.format).toBe('unknown');
    expect(e.source).toBe('row 17');
  });

  it('empty', async () => {
    const e = await errorOf(preprocessImage(new Uint8Array(0)));
    expect(e.message).toMatch(/received an empty buffer \(0 bytes\)/);
  });

  it('a JPEG signature with nothing after it', async () => {
    const e = await errorOf(preprocessImage(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0])));
    expect(e.message).toMatch(/not a decodable JPEG: no frame header/);
  });

  it('a PNG signature with nothing after it', async () => {
    const e = await errorOf(preprocessImage(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])));
    expect(e.message).toMatch(/not a decodable PNG: expected an IHDR chunk/);
  });

  it('not bytes at all', async () => {
    const e = await errorOf(decodeImage('/tmp/cat.jpg' as unknown as Uint8Array));
    expect(e.message).toMatch(/expected image bytes as a Buffer or Uint8Array, or an image file, received string/);
  });

  it('BMP (PIL reads it, the bundled libvips cannot)', async () => {
    const e = await errorOf(preprocessImage(fixtureBytes('bmp_rgb.bmp')));
    expect(e.format).toBe('bmp');
    expect(e.message).toMatch(/unsupported format BMP/);
  });

  it('AVIF and other formats PIL 9.4 cannot open are refused', async () => {
    const avif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).avif().toBuffer();
    const e = await errorOf(preprocessImage(avif));
    expect(e.message).toMatch(/not a recognised image/);
  });
});

describe('truncated files fail like PIL ("image file is truncated"), they do not decode partially', () => {
  const cases: [string, RegExp][] = [
    ['jpeg_baseline_420.jpg', /cannot decode JPEG image \(640x427, 3 components, \d+ bytes\): VipsJpeg: premature end of JPEG image/],
    ['jpeg_progressive_portrait.jpg', /cannot decode JPEG image .*premature end/],
    ['png_rgb.png', /cannot decode PNG image \(300x200, colour type 2, 8-bit, \d+ bytes\): .*read error/],
    ['png_gray16.png', /cannot decode PNG image .*16-bit.*read error/],
    ['gif_gray.gif', /cannot decode GIF image .*Unexpected end of GIF/],
    ['webp_lossy.webp', /cannot decode WebP image/],
    ['tiff_rgb.tif', /cannot decode TIFF image .*Read error at scanline/],
  ];
  it.each(cases)('%s', async (name, pattern) => {
    const b = fixtureBytes(name);
    for (const frac of [0.3, 0.9, 0.999]) {
      const e = await errorOf(preprocessImage(b.subarray(0, Math.floor(b.length * frac)), { name }));
      expect(e.message.startsWith(`${name}: `)).toBe(true);
      expect(e.message).toMatch(pattern);
    }
  });
});

describe('limits', () => {
  it('refuses more pixels than PIL allows (DecompressionBombError), or than maxPixels', async () => {
    const e = await errorOf(preprocessImage(fixtureBytes('jpeg_huge_4000x3000.jpg'), { maxPixels: 4000 * 3000 - 1 }));
    expect(e.message).toMatch(/pixel limit/);
    await expect(preprocessImage(fixtureBytes('jpeg_huge_4000x3000.jpg'), { maxPixels: 4000 * 3000 })).resolves.toHaveLength(3 * 224 * 224);
  });
});

describe('what sharp would do by default, and we must not', () => {
  it('the ICC fixture really has an effective profile (sharp applies it unless told not to)', async () => {
    const b = fixtureBytes('jpeg_icc_adobergb.jpg');
    const m = await sharp(b).metadata();
    expect(m.hasProfile).toBe(true);
    const withIcc = await sharp(b).raw().toBuffer();
    const ours = await decodeImage(b);
    let differ = 0;
    for (let i = 0; i < withIcc.length; i++) if (withIcc[i] !== ours.data[i]) differ++;
    expect(differ).toBeGreaterThan(withIcc.length / 4);
  });

  it('the EXIF fixture really says orientation 6', async () => {
    expect((await sharp(fixtureBytes('jpeg_exif_orientation6.jpg')).metadata()).orientation).toBe(6);
  });
});
