// A worker thread that prints vectors as TSV answer rows (see protocol/format-workers.ts).
import { printArrays } from '../protocol/arrays.ts';
import type { FormatJob, Printed } from '../protocol/format-workers.ts';
import { answerJobs } from '../worker-pool.ts';

answerJobs<FormatJob, Printed>(async ({ values, ends }) => {
  const { bytes, ends: rowEnds } = printArrays(ends.map((end, i) => values.subarray(i === 0 ? 0 : ends[i - 1], end)));
  // A view of a larger pooled buffer cannot be moved; copy into one of its own.
  const own = new Uint8Array(bytes);
  return { result: { bytes: own, ends: rowEnds }, transfer: [own.buffer] };
});
