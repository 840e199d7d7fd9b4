// Local files under the path policy: resolved before the check, regular files only, capped.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceError } from '../src/sources/errors.ts';
import type { SourceErrorCode } from '../src/sources/errors.ts';
import { readVerifiedFile } from '../src/sources/file.ts';
import { defaultPolicy } from '../src/sources/policy.ts';
import type { SourcePolicy } from '../src/sources/policy.ts';
import { readSource, readSources } from '../src/sources/read.ts';

let root: string;
let allowed: string;
let outside: string;
let policy: SourcePolicy;
const GOOD = Buffer.from('good bytes');

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'clip-sources-')));
  allowed = join(root, 'user_files');
  outside = join(root, 'outside');
  mkdirSync(join(allowed, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(allowed, 'good.jpg'), GOOD);
  writeFileSync(join(allowed, 'sub', 'inner.jpg'), 'inner');
  writeFileSync(join(allowed, 'with space é%.jpg'), 'spaced');
  writeFileSync(join(allowed, 'empty.jpg'), '');
  writeFileSync(join(allowed, 'big.jpg'), Buffer.alloc(2048, 1));
  writeFileSync(join(allowed, 'exact.jpg'), Buffer.alloc(1024, 1));
  writeFileSync(join(outside, 'secret.txt'), 'root:x:0:0');
  symlinkSync(join(outside, 'secret.txt'), join(allowed, 'escape.jpg'));
  symlinkSync(outside, join(allowed, 'escape-dir'));
  symlinkSync(join(allowed, 'sub', 'inner.jpg'), join(allowed, 'link-inside.jpg'));
  symlinkSync(join(outside, 'missing.txt'), join(allowed, 'dangling.jpg'));
  symlinkSync('/dev/zero', join(allowed, 'zero.jpg'));
  execFileSync('mkfifo', [join(allowed, 'fifo.jpg')]);
  policy = defaultPolicy({ allowDirs: [allowed], maxBytes: 1024 });
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<SourceError> {
  const e = await p.then(() => null, (err: unknown) => err);
  if (!(e instanceof SourceError)) throw new Error(`expected a SourceError, got ${String(e)}`);
  expect(e.message).not.toContain('\n');
  expect(e.message).not.toContain('root:x'); // never file contents
  return e;
}

async function refused(arg: string, code: SourceErrorCode, message: string | RegExp, p: SourcePolicy = policy): Promise<void> {
  const e = await failure(readSource(arg, p));
  expect(e.code).toBe(code);
  if (typeof message === 'string') expect(e.message).toBe(message);
  else expect(e.message).toMatch(message);
}

describe('allowed reads', () => {
  it('a file in the allowed directory', async () => {
    expect(await readSource(join(allowed, 'good.jpg'), policy)).toEqual(GOOD);
  });

  it('a relative path resolves against the first allowed directory', async () => {
    const p = defaultPolicy({ allowDirs: [allowed, outside], maxBytes: 1024 });
    expect(await readSource('good.jpg', p)).toEqual(GOOD);
    expect((await readSource('sub/inner.jpg', p)).toString()).toBe('inner');
  });

  it('a symlink inside pointing inside', async () => {
    expect((await readSource(join(allowed, 'link-inside.jpg'), policy)).toString()).toBe('inner');
  });

  it('.. that stays inside', async () => {
    expect(await readSource(join(allowed, 'sub', '..', 'good.jpg'), policy)).toEqual(GOOD);
  });

  it('a file of exactly the cap', async () => {
    expect((await readSource(join(allowed, 'exact.jpg'), policy)).length).toBe(1024);
  });

  it('into a buffer of its own, exactly the file, so that it can be freed once decoded', async () => {
    const got = await readSource(join(allowed, 'good.jpg'), policy);
    expect(got).toEqual(GOOD);
    // Not a slice of Node's pool, nor of a larger buffer: image/release.ts frees only such.
    expect(got.byteOffset).toBe(0);
    expect(got.buffer.byteLength).toBe(GOOD.length);
  });

  it('a file whose size stat does not know (/proc) is read to its end', async () => {
    // /proc/version reports size 0, is short and does not change between reads.
    const got = await readSource('/proc/version', defaultPolicy({ allowDirs: ['/proc'], maxBytes: 4096 }));
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(readFileSync('/proc/version'));
  });

  it('an empty file is read (0 bytes); refusing it is the image guard\'s job', async () => {
    expect((await readSource(join(allowed, 'empty.jpg'), policy)).length).toBe(0);
  });

  it('an allowed directory reached through a symlink', async () => {
    const viaLink = join(root, 'user_files_link');
    symlinkSync(allowed, viaLink);
    const p = defaultPolicy({ allowDirs: [viaLink], maxBytes: 1024 });
    expect(await readSource(join(viaLink, 'good.jpg'), p)).toEqual(GOOD);
    expect(await readSource(join(allowed, 'good.jpg'), p)).toEqual(GOOD);
    expect(await readSource('good.jpg', p)).toEqual(GOOD);
  });
});

describe('file:// URLs', () => {
  it('plain and percent-encoded', async () => {
    expect(await readSource(`file://${allowed}/good.jpg`, policy)).toEqual(GOOD);
    expect(await readSource(`file://localhost${allowed}/good.jpg`, policy)).toEqual(GOOD);
    const encoded = pathToFileURL(join(allowed, 'with space é%.jpg')).href;
    expect(encoded).toContain('%20');
    expect((await readSource(encoded, policy)).toString()).toBe('spaced');
  });

  it('the policy applies to the decoded path', async () => {
    await refused(`file://${outside}/secret.txt`, 'outside', /is outside the allowed directories/);
    await refused(`file://${allowed}/%2e%2e/outside/secret.txt`, 'outside', /is outside the allowed directories/);
  });

  it('refuses a remote host and an encoded slash', async () => {
    await refused('file://evil.example.com/etc/passwd', 'invalid', /expected a local file:\/\/ URL \(no host, or localhost\) but it names host 'evil.example.com'/);
    await refused(`file://${allowed}/sub%2Finner.jpg`, 'invalid', /must not contain an encoded '\/'/);
  });
});

describe('path policy', () => {
  it('a file outside the allowed directories', async () => {
    await refused('/etc/passwd', 'outside', `'/etc/passwd' is outside the allowed directories (${allowed})`);
    await refused(join(outside, 'secret.txt'), 'outside', /is outside the allowed directories/);
  });

  it('a path outside that does not exist says "outside", not "does not exist"', async () => {
    await refused('/etc/no-such-file-xyz', 'outside', /is outside the allowed directories/);
    await refused(join(outside, 'nope', 'deeper.jpg'), 'outside', /is outside/);
  });

  it('a missing file inside', async () => {
    await refused(join(allowed, 'missing.jpg'), 'not-found', `'${join(allowed, 'missing.jpg')}' does not exist`);
  });

  it('.. traversal, absolute and relative', async () => {
    await refused(join(allowed, '..', 'outside', 'secret.txt'), 'outside', /is outside the allowed directories/);
    await refused('../outside/secret.txt', 'outside', /is outside the allowed directories/);
    await refused('sub/../../outside/secret.txt', 'outside', /is outside/);
  });

  it('a symlink escaping the allowed directory', async () => {
    await refused(join(allowed, 'escape.jpg'), 'outside', `'${join(allowed, 'escape.jpg')}' resolves outside the allowed directories (${allowed})`);
    await refused(join(allowed, 'escape-dir', 'secret.txt'), 'outside', /resolves outside/);
    await refused('escape.jpg', 'outside', /resolves outside/);
  });

  it('.. after a symlinked directory is resolved as the kernel would', async () => {
    // escape-dir/.. is the parent of outside/ (the symlink's target), not user_files/ as lexically.
    // (string concatenation: path.join would normalize the '..' away lexically)
    await refused(`${allowed}/escape-dir/../outside/secret.txt`, 'outside', /resolves outside/);
    // and back inside through the same symlink's parent: allowed, since that is where it lands
    expect(await readSource('escape-dir/../user_files/good.jpg', policy)).toEqual(GOOD);
  });

  it('a dangling symlink inside', async () => {
    await refused(join(allowed, 'dangling.jpg'), 'not-found', /does not exist/);
  });

  it('a sibling directory that shares the prefix is outside', async () => {
    mkdirSync(`${allowed}-evil`, { recursive: true });
    writeFileSync(`${allowed}-evil/x.jpg`, 'x');
    await refused(`${allowed}-evil/x.jpg`, 'outside', /is outside/);
  });

  it('an allowed directory that does not exist', async () => {
    const p = defaultPolicy({ allowDirs: [join(root, 'not-created')] });
    await refused(join(root, 'not-created', 'a.jpg'), 'not-found',
      `'${join(root, 'not-created', 'a.jpg')}' does not exist (the allowed directory ${join(root, 'not-created')} does not exist)`, p);
    await refused('a.jpg', 'not-found', /does not exist \(the allowed directory .* does not exist\)$/, p);
    await refused(join(allowed, 'good.jpg'), 'outside', /is outside/, p);
  });

  it('no allowed directories: no files at all', async () => {
    await refused(join(allowed, 'good.jpg'), 'not-allowed', 'local files are not allowed: no allowed directories are configured',
      defaultPolicy({ allowDirs: [] }));
  });

  it('empty and NUL paths', async () => {
    await refused('', 'invalid', 'expected a file path or URL but received an empty string');
    await refused(`${allowed}/good.jpg\0.png`, 'invalid', /cannot contain a NUL byte/);
  });
});

describe('only regular files', () => {
  it('a directory', async () => {
    await refused(join(allowed, 'sub'), 'not-regular', `'${join(allowed, 'sub')}' is not a regular file (it is a directory)`);
    await refused(allowed, 'not-regular', /is a directory/);
  });

  it('/dev/zero, when /dev is allowed', async () => {
    const p = defaultPolicy({ allowDirs: ['/dev'], maxBytes: 1024 });
    await refused('/dev/zero', 'not-regular', "'/dev/zero' is not a regular file (it is a character device)", p);
  });

  it('/dev/zero through a symlink inside is outside', async () => {
    await refused(join(allowed, 'zero.jpg'), 'outside', /resolves outside/);
  });

  it('a FIFO does not hang', async () => {
    const t0 = Date.now();
    await refused(join(allowed, 'fifo.jpg'), 'not-regular', /is not a regular file \(it is a FIFO \(named pipe\)\)/);
    expect(Date.now() - t0).toBeLessThan(1000);
  }, 5000);

  it('the descriptor is checked too (the path changed after the checks)', async () => {
    // readVerifiedFile is what runs after the path checks: hand it what a race could swap in.
    const t0 = Date.now();
    const e1 = await failure(readVerifiedFile('x', join(allowed, 'fifo.jpg'), [allowed], policy));
    expect(e1.code).toBe('not-regular');
    expect(Date.now() - t0).toBeLessThan(1000);
    const e2 = await failure(readVerifiedFile('x', '/dev/zero', ['/dev'], policy));
    expect(e2.message).toBe("'x' is not a regular file (it is a character device)");
    // A last component that became a symlink is not followed (O_NOFOLLOW).
    const e3 = await failure(readVerifiedFile('x', join(allowed, 'link-inside.jpg'), [allowed], policy));
    expect(e3.code).toBe('changed');
    // A regular file whose descriptor is not inside the allowed directories.
    const e4 = await failure(readVerifiedFile('x', join(outside, 'secret.txt'), [allowed], policy));
    expect(e4.code).toBe('outside');
  }, 5000);
});

describe('size cap', () => {
  it('a file over the cap is refused before reading', async () => {
    await refused(join(allowed, 'big.jpg'), 'too-large', `'${join(allowed, 'big.jpg')}' is larger than the 1 KiB limit (2048 bytes)`);
  });

  it('the default is 64 MiB', async () => {
    const p = defaultPolicy({ allowDirs: [allowed] });
    const huge = join(allowed, 'sparse-huge.jpg');
    execFileSync('truncate', ['-s', `${64 * 1024 * 1024 + 1}`, huge]);
    await refused(huge, 'too-large', /is larger than the 64 MiB limit \(67108865 bytes\)/, p);
    rmSync(huge);
  });

  it('files whose size lies (/proc) are still capped on the bytes read', async () => {
    const p = defaultPolicy({ allowDirs: ['/proc'], maxBytes: 16 });
    // /proc/self/maps reports size 0 and is far longer than 16 bytes.
    await refused('/proc/self/maps', 'too-large', "'/proc/self/maps' is larger than the 16 bytes limit", p);
  });
});

describe('batches', () => {
  it('one result per row, errors as values, in order', async () => {
    const out = await readSources([join(allowed, 'good.jpg'), '/etc/passwd', 'good.jpg', join(allowed, 'sub')], policy, { concurrency: 2 });
    expect(out[0]).toEqual(GOOD);
    expect((out[1] as SourceError).code).toBe('outside');
    expect(out[2]).toEqual(GOOD);
    expect((out[3] as SourceError).code).toBe('not-regular');
  });
});
