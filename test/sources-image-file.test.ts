// Local images that libvips reads itself, through the verified descriptor (/proc/self/fd/N):
// the same pixels as from the bytes, the same checks, and the descriptor closed only once
// nothing can read it any more.
import { fstatSync, mkdirSync, readdirSync, statSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceError } from '../src/sources/errors.ts';
import { openFileSource, type OpenImageFile } from '../src/sources/file.ts';
import { headerInside } from '../src/sources/guard.ts';
import { preprocessGuarded } from '../src/sources/pixels.ts';
import { defaultPolicy, type SourcePolicy } from '../src/sources/policy.ts';
import { IMAGE_HEAD_BYTES, openImageSource } from '../src/sources/read.ts';
import { CLIP_CROP_BYTES } from '../src/image/preprocess.ts';
import { FIXTURE_DIR, fixtureBytes } from './fixtures/images/fixtures.ts';

let root: string;
let allowed: string;
let policy: SourcePolicy;

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'clip-image-file-')));
  allowed = join(root, 'user_files');
  mkdirSync(allowed);
  mkdirSync(join(root, 'outside'));
  policy = defaultPolicy({ allowDirs: [allowed, FIXTURE_DIR] });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const inodes = new WeakMap<OpenImageFile, number>();

/** Whether the descriptor still names the file it was opened on (once closed, its number may name another). */
function isOpen(file: OpenImageFile): boolean {
  try {
    return fstatSync(Number(/\/proc\/self\/fd\/(\d+)$/.exec(file.path)![1])).ino === inodes.get(file);
  } catch {
    return false;
  }
}

/** Closing goes through libuv's thread pool, which decodes are using too: wait for it. */
async function closedWithin(file: OpenImageFile, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; isOpen(file) && Date.now() < until;) await new Promise((r) => setTimeout(r, 5));
  return !isOpen(file);
}

async function opened(path: string, headBytes: number): Promise<OpenImageFile> {
  const got = await openFileSource(path, path, policy, headBytes);
  if (Buffer.isBuffer(got)) throw new Error(`${path} was read whole`);
  inodes.set(got, statSync(path).ino);
  return got;
}

async function errorOf(p: Promise<unknown>): Promise<SourceError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SourceError) return e;
    throw e;
  }
  throw new Error('expected a SourceError');
}

/** `jpeg` with `count` APP15 segments of ~60 KB pushed in before its first marker. */
function padJpeg(jpeg: Buffer, count: number): Buffer {
  const segment = Buffer.alloc(60_002, 0x20);
  segment.writeUInt16BE(0xffef, 0);
  segment.writeUInt16BE(60_000, 2);
  return Buffer.concat([jpeg.subarray(0, 2), ...Array.from({ length: count }, () => segment), jpeg.subarray(2)]);
}

describe.skipIf(process.platform !== 'linux')('image files read by libvips', () => {
  it('a large file stays open with its first bytes read; a small one is read whole', async () => {
    const big = join(FIXTURE_DIR, 'jpeg_huge_4000x3000.jpg');
    const bytes = readFileSync(big);
    const file = await opened(big, 4096);
    expect(file.path).toMatch(/^\/proc\/self\/fd\/\d+$/);
    expect(file.size).toBe(bytes.length);
    expect(Buffer.from(file.head)).toEqual(bytes.subarray(0, 4096));
    // What libvips will open, and what a decoder that needs the bytes gets.
    expect(readFileSync(file.path)).toEqual(bytes);
    expect(await file.readAll()).toEqual(bytes);
    await file.close();
    expect(isOpen(file)).toBe(false);

    const small = await openFileSource('jpeg_1x1.jpg', join(FIXTURE_DIR, 'jpeg_1x1.jpg'), policy, 4096);
    expect(small).toEqual(fixtureBytes('jpeg_1x1.jpg'));
  });

  it('the descriptor names the file that was checked, whatever the path becomes', async () => {
    const path = join(allowed, 'swapped.jpg');
    writeFileSync(path, fixtureBytes('jpeg_1000x600.jpg'));
    const file = await opened(path, 1024);
    const secret = join(root, 'outside', 'secret.jpg');
    writeFileSync(secret, fixtureBytes('png_rgb.png'));
    rmSync(path);
    symlinkSync(secret, path);
    expect(readFileSync(file.path)).toEqual(fixtureBytes('jpeg_1000x600.jpg'));
    await file.close();
    renameSync(secret, join(root, 'outside', 'moved.png'));
  });

  it('a file rewritten after its head was checked still meets only the accepted decoders', async () => {
    const path = join(allowed, 'rewritten.jpg');
    writeFileSync(path, fixtureBytes('jpeg_1000x600.jpg'));
    const file = await opened(path, 1024);
    // In place, the same inode: what the descriptor names now is an SVG.
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"><rect width="300" height="200" fill="red"/></svg>';
    writeFileSync(path, svg.padEnd(4096, ' '));
    const e = await errorOf(preprocessGuarded(file, new Uint8Array(CLIP_CROP_BYTES), 0, { name: 'rewritten.jpg' }));
    expect(e.code).toBe('decode');
    expect(e.message).toMatch(/^'rewritten.jpg': cannot decode JPEG image .*unsupported image format/);
  });

  it('refuses what readSource refuses, before anything is opened', async () => {
    symlinkSync(join(root, 'outside'), join(allowed, 'escape'));
    writeFileSync(join(root, 'outside', 'big.jpg'), fixtureBytes('jpeg_huge_4000x3000.jpg'));
    const escaped = await errorOf(openImageSource(join(allowed, 'escape', 'big.jpg'), policy));
    expect(escaped.code).toBe('outside');
    const tooLarge = await errorOf(openImageSource(join(FIXTURE_DIR, 'jpeg_huge_4000x3000.jpg'), { ...policy, maxBytes: 100_000 }));
    expect(tooLarge.code).toBe('too-large');
  });

  it('headers past the first bytes, and GIFs, are read whole', async () => {
    const padded = join(allowed, 'padded.jpg');
    writeFileSync(padded, padJpeg(fixtureBytes('jpeg_1000x600.jpg'), 3));
    expect(readFileSync(padded).length).toBeGreaterThan(IMAGE_HEAD_BYTES);
    expect(headerInside(readFileSync(padded).subarray(0, IMAGE_HEAD_BYTES))).toBe(false);
    expect(await openImageSource(padded, policy)).toEqual(readFileSync(padded));

    const gif = join(allowed, 'big.gif');
    writeFileSync(gif, Buffer.concat([fixtureBytes('gif_gray.gif'), Buffer.alloc(IMAGE_HEAD_BYTES)]));
    expect(Buffer.isBuffer(await openImageSource(gif, policy))).toBe(true);

    const big = await openImageSource(join(FIXTURE_DIR, 'jpeg_huge_4000x3000.jpg'), policy);
    expect(Buffer.isBuffer(big)).toBe(false);
    await (big as OpenImageFile).close();
  });

  it('every fixture decodes from its file exactly as from its bytes, or fails the same way', async () => {
    const names = ['jpeg', 'png', 'webp', 'tiff'].flatMap((f) => readdirImages(f));
    let fromFile = 0;
    for (const name of names) {
      const bytes = fixtureBytes(name);
      const file = await openFileSource(name, join(FIXTURE_DIR, name), policy, 1024);
      if (Buffer.isBuffer(file) || !headerInside(file.head)) {
        if (!Buffer.isBuffer(file)) await file.close();
        continue;
      }
      fromFile++;
      const a = new Uint8Array(CLIP_CROP_BYTES);
      const b = new Uint8Array(CLIP_CROP_BYTES);
      const viaFile = await preprocessGuarded(file, a, 0, { name }).then(() => null, (e: unknown) => (e as Error).message);
      const viaBytes = await preprocessGuarded(bytes, b, 0, { name }).then(() => null, (e: unknown) => (e as Error).message);
      expect(viaFile, name).toBe(viaBytes);
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), name).toBe(true);
    }
    // Most fixtures are larger than 1 KiB with their headers inside it.
    expect(fromFile).toBeGreaterThan(35);
  });

  it('preprocessGuarded closes the file once nothing reads it: done, refused, or timed out', async () => {
    const path = join(FIXTURE_DIR, 'jpeg_huge_4000x3000.jpg');
    const out = new Uint8Array(CLIP_CROP_BYTES);

    const done = await opened(path, 4096);
    await preprocessGuarded(done, out, 0);
    expect(await closedWithin(done, 5_000)).toBe(true);

    const refused = await opened(path, 4096);
    expect((await errorOf(preprocessGuarded(refused, out, 0, { maxPixels: 1000 }))).code).toBe('too-many-pixels');
    expect(await closedWithin(refused, 5_000)).toBe(true);

    // A 12-megapixel decode takes far longer than 1 ms: the row gives up at once, but libvips
    // still reads the file, so it stays open until the decode is over.
    const late = await opened(path, 4096);
    const gaveUp = performance.now();
    expect((await errorOf(preprocessGuarded(late, out, 0, { timeoutMs: 1 }))).code).toBe('timeout');
    // Long enough for a close to be done (well under a millisecond), far shorter than the decode.
    await new Promise((r) => setTimeout(r, 10));
    expect(isOpen(late)).toBe(true);
    expect(await closedWithin(late, 10_000)).toBe(true);
    expect(performance.now() - gaveUp).toBeGreaterThan(25);
  });
});

function readdirImages(prefix: string): string[] {
  return readdirSync(FIXTURE_DIR).sort().filter((n) => n.startsWith(`${prefix}_`));
}
