// A worker thread that prints vectors as TSV arrays (see protocol/format-workers.ts).
import { formatArray } from '../protocol/arrays.ts';
import type { FormatJob } from '../protocol/format-workers.ts';
import { answerJobs } from '../worker-pool.ts';

answerJobs<FormatJob, string[]>(async ({ values, ends }) => ({
  result: ends.map((end, i) => formatArray(values.subarray(i === 0 ? 0 : ends[i - 1], end))),
}));
