/**
 * Bounded concurrency: a batch of URLs is fetched in parallel, but not all at once, so a
 * block of thousands of rows neither opens thousands of sockets nor holds thousands of
 * response buffers.
 */

/**
 * Runs `fn` on every item with at most `limit` calls in flight; results in input order.
 * Like Promise.all, rejects with the first failure (and starts no new items after it); wrap
 * `fn` to turn failures into values when every item must run.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!(Number.isInteger(limit) && limit >= 1)) {
    throw new RangeError(`mapLimit: expected a concurrency limit >= 1 but received ${String(limit)}`);
  }
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * A shared bound across calls: `limit(fn)` runs fn once fewer than `n` others run.
 * Decoding uses one so that memory (a decoded photo can be 36 MB) stays bounded
 * however many batches are in flight.
 */
export function createLimiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
