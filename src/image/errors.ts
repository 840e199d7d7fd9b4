/**
 * One error type for everything that can go wrong between "bytes in" and "tensor out", so a
 * caller (the UDF loop) can tell a bad image, which it should report and skip, from a bug.
 */
export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';
  constructor(
    message: string,
    /** Detected container format, or 'unknown'. */
    readonly format: string,
    /** Caller-supplied label of the input (file name, row id), if any. */
    readonly source?: string,
    options?: { cause?: unknown },
  ) {
    super(source === undefined ? message : `${source}: ${message}`, options);
  }
}

/**
 * A short, printable description of the first bytes, for "what was received" in messages;
 * `size` where `input` is only the start of a file.
 */
export function describeBytes(input: Uint8Array, size = input.length): string {
  if (size === 0) return 'an empty buffer (0 bytes)';
  const head = input.subarray(0, 8);
  const hex = Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const ascii = Array.from(head, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return `${size} bytes starting with ${hex} ("${ascii}")`;
}
