// The thread a tower runs on (see model/towers.ts): onnxruntime-node's run() blocks its
// caller, so it must not be the main thread.
import ort from 'onnxruntime-node';
import type { ModelJob } from '../model/towers.ts';
import { answerJobs } from '../worker-pool.ts';

let session: ort.InferenceSession | null = null;
let output = '';
let inputs = new Set<string>();

answerJobs<ModelJob, Float32Array | null>(async (job) => {
  if ('load' in job) {
    if (session) throw new Error('internal error: the tower is already loaded');
    const created = await ort.InferenceSession.create(job.load.file, job.load.options);
    output = job.load.output;
    if (!created.outputNames.includes(output)) {
      throw new Error(`${job.load.file} has no output ${output} (it has ${created.outputNames.join(', ')}): not a CLIP tower with projection`);
    }
    session = created;
    inputs = new Set(session.inputNames);
    return { result: null };
  }
  if (!session) throw new Error('internal error: run before load');
  // Exports without an attention mask (the text tower can do without) are fed none.
  const feeds = Object.fromEntries(Object.entries(job.run).filter(([name]) => inputs.has(name)).map(([name, f]) => [name, new ort.Tensor(f.type, f.data, f.dims)]));
  const data = (await session.run(feeds, [output]))[output].data as Float32Array;
  return { result: data, transfer: [data.buffer as ArrayBuffer] };
});
