// A worker thread that prints vectors as TSV answer rows (see protocol/format-workers.ts).
import { printArrays, splitAt } from '../protocol/arrays.ts';
import type { FormatJob, Printed } from '../protocol/format-workers.ts';
import { answerJobs } from '../worker-pool.ts';

answerJobs<FormatJob, Printed>(async ({ values, ends }) => {
  const printed = printArrays(splitAt(values, ends));
  return { result: printed, transfer: [printed.bytes.buffer as ArrayBuffer] };
});
