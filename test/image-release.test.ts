// releaseNow (src/image/release.ts) frees what encode_image is done with at once; freeing the
// wrong buffer would hand another row's bytes to the allocator, so it must refuse anything
// that is not a whole buffer of its own.
import { describe, expect, it } from 'vitest';
import { canReleaseNow, releaseNow } from '../src/image/release.ts';

describe('releaseNow', () => {
  it('is active where the tests run, as in the launcher install.sh writes', () => {
    // vitest.config.ts gives Node 20 the flag the launcher gives encode_image.
    expect(canReleaseNow).toBe(true);
  });

  it('frees a whole buffer: every view of it reads as empty', () => {
    const a = new Uint8Array(1 << 20).fill(7);
    const other = new Uint8Array(a.buffer, 100, 10);
    releaseNow(a);
    expect(a.length).toBe(0);
    expect(a.buffer.byteLength).toBe(0);
    expect(other.length).toBe(0);
  });

  it('leaves a view of part of a buffer alone', () => {
    const whole = new Uint8Array(1000).fill(1);
    const head = whole.subarray(0, 500);
    const tail = whole.subarray(500);
    releaseNow(head);
    releaseNow(tail);
    expect(whole.length).toBe(1000);
    expect(whole.every((v) => v === 1)).toBe(true);
  });

  it('leaves a slice of Node\'s Buffer pool alone', () => {
    const small = Buffer.from('a short row');
    const neighbour = Buffer.from('another row');
    expect(small.buffer).toBe(neighbour.buffer); // both in the pool
    releaseNow(small);
    expect(small.toString()).toBe('a short row');
    expect(neighbour.toString()).toBe('another row');
  });

  it('ignores empty, already freed and shared memory', () => {
    const a = new Float32Array(16);
    releaseNow(a);
    expect(() => releaseNow(a)).not.toThrow();
    expect(() => releaseNow(new Uint8Array(0))).not.toThrow();
    const shared = new Int32Array(new SharedArrayBuffer(64));
    releaseNow(shared);
    expect(shared.length).toBe(16);
  });
});
