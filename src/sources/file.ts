/**
 * Local files: a path or a file:// URL, read only inside the allowed directories.
 *
 * The check is made on the resolved path (symlinks and '..' followed, as the kernel will
 * follow them), and again on the opened descriptor, because the filesystem can change
 * between the check and the open (a path component swapped for a symlink). Only regular
 * files are read: a FIFO would block the process forever, /dev/zero never ends, and opening
 * some devices has side effects, so the type is checked before opening and again on the
 * descriptor, and the open itself cannot block (O_NONBLOCK) or follow a freshly planted
 * symlink in the last component (O_NOFOLLOW).
 */
import { constants, promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceError, formatBytes, quote } from './errors.ts';
import type { ImageFile } from '../image/decode.ts';
import type { SourcePolicy } from './policy.ts';

const OPEN_FLAGS =
  constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0) | (constants.O_NOCTTY ?? 0);

/** 'file:///a%20b.jpg' -> '/a b.jpg'; only local file URLs (no host, or 'localhost'). */
export function fileUrlToPath(arg: string): string {
  let url: URL;
  try {
    url = new URL(arg);
  } catch {
    throw new SourceError(`${quote(arg)} is not a valid file:// URL`, 'invalid');
  }
  try {
    return fileURLToPath(url);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_INVALID_FILE_URL_HOST') {
      throw new SourceError(`${quote(arg)}: expected a local file:// URL (no host, or localhost) but it names host '${url.hostname}'`, 'invalid');
    }
    if (code === 'ERR_INVALID_FILE_URL_PATH') {
      throw new SourceError(`${quote(arg)}: a file:// URL must not contain an encoded '/' (%2F) or NUL`, 'invalid');
    }
    throw new SourceError(`${quote(arg)} is not a valid file:// URL`, 'invalid', { cause: e });
  }
}

function isInside(path: string, dir: string): boolean {
  if (dir === sep) return path.startsWith(sep);
  return path === dir || path.startsWith(dir + sep);
}

function isInsideAny(path: string, dirs: readonly string[]): boolean {
  return dirs.some((d) => isInside(path, d));
}

interface AllowedDir {
  /** As configured, for messages. */
  configured: string;
  /** With its own symlinks resolved (user_files is often a symlink to a data disk). */
  real: string;
  exists: boolean;
}

/**
 * The allowed directories in the form resolved file paths compare with. One that does not
 * exist keeps its lexical form: nothing can be read from it anyway.
 */
async function resolveAllowedDirs(dirs: readonly string[]): Promise<AllowedDir[]> {
  return Promise.all(dirs.map(async (d) => {
    try {
      return { configured: d, real: await fsp.realpath(d), exists: true };
    } catch {
      return { configured: d, real: resolve(d), exists: false };
    }
  }));
}

/** The resolved form of the deepest existing ancestor, to place a path that does not exist. */
async function nearestExisting(path: string): Promise<string> {
  for (let p = dirname(path); ; p = dirname(p)) {
    try {
      return await fsp.realpath(p);
    } catch {
      if (p === dirname(p)) return p;
    }
  }
}

function describeType(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a plain file';
}

function outsideError(arg: string, allowDirs: readonly string[], how: 'is' | 'resolves'): SourceError {
  return new SourceError(
    `${quote(arg)} ${how} outside the allowed directories (${allowDirs.join(', ')})`,
    'outside',
  );
}

/** A filesystem failure as this row's SourceError (one that already is passes through). */
function fsError(arg: string, e: unknown): SourceError {
  if (e instanceof SourceError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new SourceError(`${quote(arg)} does not exist`, 'not-found', { cause: e });
    case 'EACCES':
    case 'EPERM':
      return new SourceError(`${quote(arg)} cannot be read: permission denied`, 'unreadable', { cause: e });
    case 'ELOOP':
      return new SourceError(`${quote(arg)} cannot be read: too many levels of symbolic links`, 'invalid', { cause: e });
    case 'ENAMETOOLONG':
      return new SourceError(`${quote(arg)} cannot be read: the path is too long`, 'invalid', { cause: e });
    case 'ENXIO':
      // open(2) on a UNIX socket, or a device without a driver.
      return new SourceError(`${quote(arg)} is not a regular file`, 'not-regular', { cause: e });
    default:
      return new SourceError(`${quote(arg)} cannot be read: ${code ?? (e as Error).message}`, 'unreadable', { cause: e });
  }
}

/**
 * Reads a local path (absolute, or relative to the first allowed directory) under `policy`.
 * `arg` is the argument as typed, for messages.
 */
export async function readFileSource(arg: string, path: string, policy: SourcePolicy): Promise<Buffer> {
  const { real, dirs } = await checkFileSource(arg, path, policy);
  return readVerifiedFile(arg, real, dirs, policy);
}

/**
 * A verified regular file held open, that libvips reads itself through /proc/self/fd/N: that
 * name opens this descriptor's file, whatever happens to the path meanwhile, so the checks
 * made on the descriptor still hold. (A file rewritten in place can still change its
 * content; the decoder's own pixel limit holds then, not the header check made on `head`.)
 */
export interface OpenImageFile extends ImageFile {
  /** The whole file (at most maxBytes), for a decoder that needs the bytes. */
  readAll(): Promise<Buffer>;
  /** Not before libvips is done: a closed descriptor's number goes to the next file opened. */
  close(): Promise<void>;
}

/**
 * Like readFileSource, but a file larger than `headBytes` is left open and only its first
 * `headBytes` are read (see OpenImageFile). Where the descriptor cannot be named through
 * /proc (not Linux, /proc not mounted), the file is read whole, as readFileSource does.
 */
export async function openFileSource(arg: string, path: string, policy: SourcePolicy, headBytes: number): Promise<Buffer | OpenImageFile> {
  const { real, dirs } = await checkFileSource(arg, path, policy);
  const { fh, st, procPath } = await openVerified(arg, real, dirs, policy);
  let open = false;
  try {
    if (procPath === null || st.size <= headBytes) return await readAtMost(fh, st.size, policy.maxBytes, arg);
    // Read at offset 0, which leaves the descriptor's position where readAll starts.
    const head = Buffer.allocUnsafeSlow(headBytes);
    const { bytesRead } = await fh.read(head, 0, headBytes, 0);
    open = true;
    return {
      path: procPath,
      head: head.subarray(0, bytesRead),
      size: st.size,
      readAll: () => readAtMost(fh, st.size, policy.maxBytes, arg),
      close: () => fh.close().catch(() => undefined),
    };
  } catch (e) {
    throw fsError(arg, e);
  } finally {
    if (!open) await fh.close().catch(() => undefined);
  }
}

/** The path resolved and checked to be inside the allowed directories, a regular file within the size limit. */
async function checkFileSource(arg: string, path: string, policy: SourcePolicy): Promise<{ real: string; dirs: string[] }> {
  if (policy.allowDirs.length === 0) {
    throw new SourceError('local files are not allowed: no allowed directories are configured', 'not-allowed');
  }
  if (path === '') throw new SourceError('expected a file path or URL but received an empty string', 'invalid');
  if (path.includes('\0')) throw new SourceError(`${quote(arg)}: a path cannot contain a NUL byte`, 'invalid');

  const allowed = await resolveAllowedDirs(policy.allowDirs);
  const dirs = allowed.map((d) => d.real);
  // Not normalized here: '..' after a symlink means the symlink's parent to the kernel, and
  // realpath below resolves it the same way, so the path checked is the path opened.
  const wanted = isAbsolute(path) ? path : `${dirs[0]!}${sep}${path}`;
  let real: string;
  try {
    real = await fsp.realpath(wanted);
  } catch (e) {
    // Say "outside" for paths outside, whether or not they exist: the error must not tell a
    // SQL user which files exist elsewhere on the server.
    if (isInsideAny(await nearestExisting(wanted), dirs)) throw fsError(arg, e);
    const missing = allowed.find((d) => !d.exists && isInside(resolve(wanted), d.real));
    if (missing !== undefined) {
      throw new SourceError(`${quote(arg)} does not exist (the allowed directory ${missing.configured} does not exist)`, 'not-found', { cause: e });
    }
    throw outsideError(arg, policy.allowDirs, 'is');
  }
  if (!isInsideAny(real, dirs)) {
    const lexical = resolve(wanted);
    const looksInside = isInsideAny(lexical, dirs) || isInsideAny(lexical, policy.allowDirs.map((d) => resolve(d)));
    throw outsideError(arg, policy.allowDirs, looksInside ? 'resolves' : 'is');
  }
  let st: Stats;
  try {
    st = await fsp.stat(real);
  } catch (e) {
    throw fsError(arg, e);
  }
  if (!st.isFile()) throw new SourceError(`${quote(arg)} is not a regular file (it is ${describeType(st)})`, 'not-regular');
  if (st.size > policy.maxBytes) throw tooLarge(arg, policy.maxBytes, st.size);
  return { real, dirs };
}

function tooLarge(arg: string, maxBytes: number, size?: number): SourceError {
  const got = size === undefined ? '' : ` (${size} bytes)`;
  return new SourceError(`${quote(arg)} is larger than the ${formatBytes(maxBytes)} limit${got}`, 'too-large');
}

/**
 * Where an open descriptor really is, and the /proc name that opens it (null where there is
 * none). Linux tells us through /proc; elsewhere the best we can do is to re-resolve the path
 * and check that it still names the same inode.
 */
async function descriptorPath(fh: FileHandle, real: string, st: Stats): Promise<{ at: string; procPath: string | null } | null> {
  if (process.platform === 'linux') {
    const procPath = `/proc/self/fd/${fh.fd}`;
    try {
      return { at: await fsp.readlink(procPath), procPath };
    } catch {
      // /proc not mounted (some containers): fall through.
    }
  }
  try {
    const again = await fsp.realpath(real);
    const now = await fsp.stat(again);
    return now.dev === st.dev && now.ino === st.ino ? { at: again, procPath: null } : null;
  } catch {
    return null;
  }
}

/**
 * Opens `real` (already resolved and checked to be inside `dirs`) and re-checks everything
 * on the descriptor before reading at most maxBytes + 1 bytes from it. Exported so tests can
 * play the race where the path checked was not the thing opened.
 */
export async function readVerifiedFile(
  arg: string, real: string, dirs: readonly string[], policy: Pick<SourcePolicy, 'allowDirs' | 'maxBytes'>,
): Promise<Buffer> {
  const { fh, st } = await openVerified(arg, real, dirs, policy);
  try {
    return await readAtMost(fh, st.size, policy.maxBytes, arg);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Opens `real` and re-checks everything on the descriptor; closes it again on failure. */
async function openVerified(
  arg: string, real: string, dirs: readonly string[], policy: Pick<SourcePolicy, 'allowDirs' | 'maxBytes'>,
): Promise<{ fh: FileHandle; st: Stats; procPath: string | null }> {
  let fh: FileHandle;
  try {
    fh = await fsp.open(real, OPEN_FLAGS);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new SourceError(`${quote(arg)} changed while being read (it became a symbolic link)`, 'changed', { cause: e });
    }
    throw fsError(arg, e);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new SourceError(`${quote(arg)} is not a regular file (it is ${describeType(st)})`, 'not-regular');
    if (st.size > policy.maxBytes) throw tooLarge(arg, policy.maxBytes, st.size);
    const where = await descriptorPath(fh, real, st);
    if (where === null) throw new SourceError(`${quote(arg)} changed while being read`, 'changed');
    if (!isInsideAny(where.at, dirs)) throw outsideError(arg, policy.allowDirs, 'resolves');
    return { fh, st, procPath: where.procPath };
  } catch (e) {
    await fh.close().catch(() => undefined);
    // fstat failures (EIO on a bad disk, say) are this row's failure, not a crash.
    throw fsError(arg, e);
  }
}

/**
 * Reads to EOF but never past maxBytes + 1: the size from fstat is only a hint (a file can
 * grow while being read, and /proc files report 0), so the cap is enforced on the bytes.
 */
async function readAtMost(fh: FileHandle, sizeHint: number, maxBytes: number, arg: string): Promise<Buffer> {
  const limit = maxBytes + 1;
  // A buffer of its own (never a slice of Node's pool) holding exactly the file, when the
  // file is the size stat said: its reader can then free it as soon as it is decoded
  // (image/release.ts).
  let buf = Buffer.allocUnsafeSlow(Math.min(sizeHint, limit));
  let len = 0;
  // Read failures (EIO on a bad disk, say) are this row's failure, not a crash.
  const read = (into: Buffer, at: number, n: number) => fh.read(into, at, n, null).catch((e: unknown) => {
    throw fsError(arg, e);
  });
  for (;;) {
    if (len === buf.length) {
      if (len >= limit) break;
      // Full: only a file that grew since stat has more, and one byte tells.
      const probe = Buffer.alloc(1);
      if ((await read(probe, 0, 1)).bytesRead === 0) break;
      const bigger = Buffer.allocUnsafeSlow(Math.min(limit, Math.max(buf.length * 2, 64 * 1024)));
      buf.copy(bigger, 0, 0, len);
      bigger[len++] = probe[0]!;
      buf = bigger;
      continue;
    }
    const { bytesRead } = await read(buf, len, buf.length - len);
    if (bytesRead === 0) break;
    len += bytesRead;
  }
  if (len > maxBytes) throw tooLarge(arg, maxBytes);
  return len === buf.length ? buf : buf.subarray(0, len);
}
