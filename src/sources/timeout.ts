/**
 * A time cap for work that cannot be cancelled (libvips decoding runs on the libuv thread
 * pool and has no abort). The row fails when the timer wins; the work itself runs to its end
 * in the background, so its result must not be used: callers give it private output buffers.
 */
import { SourceError } from './errors.ts';

export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SourceError(`${what} timed out after ${ms} ms`, 'timeout')), ms);
  });
  // A late failure of abandoned work must not surface as an unhandled rejection.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
