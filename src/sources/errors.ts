/**
 * The one error type of the source layer. Its message ends up on a per-row stderr line and in
 * front of SQL users, so it is a single short line that names the argument as typed and the
 * reason, and never carries file contents or response bodies.
 */

/** What went wrong, for callers and tests that branch on it rather than on the wording. */
export type SourceErrorCode =
  | 'invalid' // the argument is not a usable path or URL
  | 'not-allowed' // the kind of source is switched off (no --allow-url, no allowed directory)
  | 'outside' // a path outside the allowed directories, a URL outside the allowed prefixes
  | 'not-found'
  | 'not-regular' // a directory, FIFO, device, socket
  | 'too-large'
  | 'unreadable' // permission denied, I/O error
  | 'changed' // the file changed between the checks and the read
  | 'blocked-address' // an SSRF-sensitive address (loopback, private, metadata, ...)
  | 'http' // a non-2xx answer, a bad redirect, an unwanted encoding
  | 'network' // refused, reset, DNS failure, TLS failure
  | 'timeout'
  | 'format' // bytes that are not an accepted raster format (SVG, PDF, ...)
  | 'too-many-pixels'
  | 'decode'; // the decoder itself failed (truncated or corrupt data)

export class SourceError extends Error {
  override readonly name = 'SourceError';
  constructor(message: string, readonly code: SourceErrorCode, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const MAX_QUOTED = 200;

/**
 * The argument as the user typed it, in single quotes, cut to a readable length and with
 * control characters escaped so that a crafted argument cannot break the one-line log format.
 */
export function quote(arg: string): string {
  const cut = arg.length > MAX_QUOTED ? `${arg.slice(0, MAX_QUOTED)}...` : arg;
  // eslint-disable-next-line no-control-regex
  const safe = cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `'${safe}'`;
}

/** 67108864 -> '64 MiB', 1500 -> '1500 bytes': limits are stated the way they were configured. */
export function formatBytes(n: number): string {
  const MiB = 1024 * 1024;
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
