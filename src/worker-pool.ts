// A few worker threads for CPU work the main thread must not do itself: each job goes
// to the least busy worker, answers come back as promises. Both sides live here so the
// message shapes cannot drift apart.

import { parentPort, Worker } from 'node:worker_threads';

type Request<J> = { id: number; job: J };
type Reply<R> = { id: number; result: R } | { id: number; failed: string };

export type RunJob<J, R> = (job: J, transfer?: ArrayBuffer[]) => Promise<R>;

export function workerPool<J, R>(count: number, script: URL): RunJob<J, R> {
  let nextId = 0;
  const pending = new Map<number, { worker: number; resolve: (r: R) => void; reject: (e: Error) => void }>();
  const busy = new Array<number>(count).fill(0);
  const failAll = (err: Error) => {
    for (const job of pending.values()) job.reject(err);
    pending.clear();
  };
  const workers = Array.from({ length: count }, () => {
    const worker = new Worker(script);
    // Idle workers must not keep the process alive once stdin has ended.
    worker.unref();
    worker.on('message', (reply: Reply<R>) => {
      const job = pending.get(reply.id);
      if (!job) return;
      pending.delete(reply.id);
      busy[job.worker]--;
      if ('result' in reply) job.resolve(reply.result);
      else job.reject(new Error(reply.failed));
    });
    // A worker that dies takes its jobs with it: those rows cannot be answered.
    worker.on('error', (err) => failAll(new Error(`worker thread failed: ${err.message}`)));
    worker.on('exit', (code) => failAll(new Error(`worker thread exited with code ${code}`)));
    return worker;
  });
  return (job, transfer = []) => {
    const w = busy.indexOf(Math.min(...busy));
    busy[w]++;
    const id = nextId++;
    const result = new Promise<R>((resolve, reject) => pending.set(id, { worker: w, resolve, reject }));
    workers[w].postMessage({ id, job } satisfies Request<J>, transfer);
    return result;
  };
}

/** The worker's side: answers each job with `handle`, whose buffers in `transfer` move back. */
export function answerJobs<J, R>(handle: (job: J) => Promise<{ result: R; transfer?: ArrayBuffer[] }>): void {
  const port = parentPort;
  if (!port) throw new Error('answerJobs() runs in a worker thread');
  port.on('message', async ({ id, job }: Request<J>) => {
    try {
      const { result, transfer = [] } = await handle(job);
      port.postMessage({ id, result } satisfies Reply<R>, transfer);
    } catch (err) {
      // The message, as the caller would have seen it had the work run on its own thread.
      port.postMessage({ id, failed: err instanceof Error ? err.message : String(err) } satisfies Reply<R>);
    }
  });
}
