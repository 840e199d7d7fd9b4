/**
 * One row's argument -> image bytes: the single entry point encode_image needs. Dispatches on
 * the scheme; anything that is neither a path, a file:// URL nor an http(s):// URL is refused
 * by name (ftp:, data:, javascript:, gopher:, ...), never passed on to a library that might
 * know what to do with it.
 */
import { SourceError, quote } from './errors.ts';
import { fileUrlToPath, openFileSource, readFileSource } from './file.ts';
import type { OpenImageFile } from './file.ts';
import { headerInside } from './guard.ts';
import { readHttpSource } from './http.ts';
import { mapLimit } from './limit.ts';
import { DEFAULT_CONCURRENCY } from './policy.ts';
import type { SourcePolicy } from './policy.ts';

// RFC 3986 scheme. A relative file name containing ':' ('a:b.jpg') reads as a scheme too;
// './a:b.jpg' reaches it.
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

export type SourceKind = 'file' | 'http';

/** Which reader an argument goes to, or a SourceError for an unsupported scheme. */
export function sourceKind(arg: string): SourceKind {
  const m = SCHEME.exec(arg);
  if (m === null) return 'file';
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'file') return 'file';
  if (scheme === 'http' || scheme === 'https') return 'http';
  throw new SourceError(
    `${quote(arg)}: unsupported scheme '${scheme}:'; expected a file path, a file:// URL or an http(s):// URL`,
    'invalid',
  );
}

/** The local path a 'file' argument names: itself, or a file:// URL's path. */
function localPath(arg: string): string {
  return SCHEME.test(arg) ? fileUrlToPath(arg) : arg;
}

/** The bytes named by `arg` under `policy`; fails only with SourceError for bad input. */
export async function readSource(arg: string, policy: SourcePolicy): Promise<Buffer> {
  if (sourceKind(arg) === 'http') return readHttpSource(arg, policy);
  return readFileSource(arg, localPath(arg), policy);
}

/**
 * First bytes read of a file that libvips then reads itself: enough for the headers of
 * nearly every photo (an EXIF block is at most 64 KiB), and files this small are read whole.
 */
export const IMAGE_HEAD_BYTES = 128 * 1024;

/**
 * Like readSource, but a local file whose headers lie within its first IMAGE_HEAD_BYTES is
 * left open for libvips to read (OpenImageFile; whoever decodes it closes it), so its bytes
 * never sit in memory whole. Downloads, small files, GIFs (their first frame can lie anywhere)
 * and files whose headers reach further are read whole.
 */
export async function openImageSource(arg: string, policy: SourcePolicy): Promise<Buffer | OpenImageFile> {
  if (sourceKind(arg) === 'http') return readHttpSource(arg, policy);
  const opened = await openFileSource(arg, localPath(arg), policy, IMAGE_HEAD_BYTES);
  if (Buffer.isBuffer(opened) || headerInside(opened.head)) return opened;
  try {
    return await opened.readAll();
  } finally {
    await opened.close();
  }
}

export interface ReadSourcesOptions {
  /** Reads in flight at once (default DEFAULT_CONCURRENCY). */
  concurrency?: number;
}

/**
 * Reads a batch, at most `concurrency` at a time; one entry per argument, in order: the bytes,
 * or the SourceError that row fails with. Never rejects for a bad row.
 */
export async function readSources(
  args: readonly string[], policy: SourcePolicy, options: ReadSourcesOptions = {},
): Promise<Array<Buffer | SourceError>> {
  return mapLimit(args, options.concurrency ?? DEFAULT_CONCURRENCY, async (arg) => {
    try {
      return await readSource(arg, policy);
    } catch (e) {
      if (e instanceof SourceError) return e;
      // Unexpected (a bug, or an error type we did not map): still fail only this row.
      return new SourceError(`${quote(arg)}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, 'unreadable', { cause: e });
    }
  });
}
