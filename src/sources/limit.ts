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
 * however many batches are in flight. A budget of `n` where each call costs 1.
 */
export function createLimiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  const budget = createBudget(n);
  return (fn) => budget(1, fn);
}

/**
 * A shared budget of some resource (bytes of decoded pixels): `run(cost, fn)` runs fn once
 * the costs of those running plus `cost` fit in `capacity`, or when nothing else runs (so a
 * cost larger than the whole budget runs alone rather than never).
 */
export function createBudget(capacity: number): <T>(cost: number, fn: () => Promise<T>) => Promise<T> {
  let used = 0;
  let running = 0;
  const waiting: Array<{ cost: number; start: () => void }> = [];
  const fits = (cost: number) => running === 0 || used + cost <= capacity;
  return async <T>(cost: number, fn: () => Promise<T>): Promise<T> => {
    // In turn: a large cost is not passed over for ever by small ones.
    if (waiting.length > 0 || !fits(cost)) {
      // The one that lets it in counts it in.
      await new Promise<void>((start) => waiting.push({ cost, start }));
    } else {
      used += cost;
      running++;
    }
    try {
      return await fn();
    } finally {
      used -= cost;
      running--;
      while (waiting.length > 0 && fits(waiting[0]!.cost)) {
        const next = waiting.shift()!;
        used += next.cost;
        running++;
        next.start();
      }
    }
  };
}
