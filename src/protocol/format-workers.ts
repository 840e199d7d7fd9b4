// Printing vectors on worker threads. With a GPU running the model, printing would
// take a large share of the main thread's time for text, and would stall the next
// model run while a call's rows are printed.

import { workerPool } from '../worker-pool.ts';
import { rowsOfPrinted } from './arrays.ts';

export interface FormatJob {
  /** The vectors of a chunk back to back; `ends[i]` is where row i ends. */
  values: Float32Array;
  ends: number[];
}

/** printArrays' answer: the rows' bytes, and where each row ends. */
export interface Printed {
  bytes: Uint8Array;
  ends: number[];
}

/** Prints each vector as an answer row (`[...]\n`), in order. */
export type FormatArrays = (vectors: Float32Array[]) => Promise<Buffer[]>;

// Rows per job: several jobs per call keep all workers busy on one big call.
const CHUNK = 256;

export function formatWorkers(count: number, script: URL): FormatArrays {
  const run = workerPool<FormatJob, Printed>(count, script);
  return async (vectors) => {
    const jobs: Promise<Printed>[] = [];
    for (let start = 0; start < vectors.length; start += CHUNK) {
      const chunk = vectors.slice(start, start + CHUNK);
      const values = new Float32Array(chunk.reduce((n, v) => n + v.length, 0));
      const ends: number[] = [];
      let at = 0;
      for (const v of chunk) {
        values.set(v, at);
        ends.push((at += v.length));
      }
      jobs.push(run({ values, ends }, [values.buffer]));
    }
    return (await Promise.all(jobs)).flatMap(({ bytes, ends }) => rowsOfPrinted(bytes, ends));
  };
}
