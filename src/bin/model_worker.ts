// The thread a tower runs on (see model/towers.ts): onnxruntime-node's run() blocks its
// caller, so it must not be the main thread.
import { writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { MODEL_THREAD, type ModelJob, type ModelReply } from '../model/towers.ts';
import { pickTowerFile } from '../model/prepared.ts';
import { PIXEL_BYTES, PIXEL_VALUES, pixelValuesMaker } from '../model/pixel-feed.ts';
import { answerJobs } from '../worker-pool.ts';

// A name `top -H` and the bench can tell the model's threads by: onnxruntime's pool threads,
// started from this one, inherit it (Linux; elsewhere there is nothing to name).
try {
  writeFileSync('/proc/thread-self/comm', MODEL_THREAD);
} catch {
  // no /proc: the threads keep the name node gave them
}

let session: ort.InferenceSession | null = null;
let output = '';
let inputNames = new Set<string>();
const pixelValues = pixelValuesMaker();

async function create(file: string, options: ort.InferenceSession.SessionOptions): Promise<{ created: ort.InferenceSession; loaded: string; copyFailed?: string }> {
  const picked = pickTowerFile(file, ort);
  if (picked === file) return { created: await ort.InferenceSession.create(file, options), loaded: file };
  try {
    return { created: await ort.InferenceSession.create(picked, options), loaded: picked };
  } catch (err) {
    // A damaged copy (disk full while it was written, a data file removed) must not take
    // the function down while the source is there.
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    return { created: await ort.InferenceSession.create(file, options), loaded: file, copyFailed: `its prepared copy ${picked} failed to load: ${reason}` };
  }
}

answerJobs<ModelJob, ModelReply>(async (job) => {
  if ('load' in job) {
    if (session) throw new Error('internal error: the tower is already loaded');
    const { created, loaded, copyFailed } = await create(job.load.file, job.load.options);
    output = job.load.output;
    if (!created.outputNames.includes(output)) {
      throw new Error(`${job.load.file} has no output ${output} (it has ${created.outputNames.join(', ')}): not a CLIP tower with projection`);
    }
    session = created;
    inputNames = new Set(session.inputNames);
    return { result: { loaded, copyFailed } };
  }
  if (!session) throw new Error('internal error: run before load');
  const given = { ...job.run };
  // A vision tower loaded from its source takes floats (see pixel-feed.ts).
  const bytes = given[PIXEL_BYTES];
  if (bytes && !inputNames.has(PIXEL_BYTES) && inputNames.has(PIXEL_VALUES)) given[PIXEL_VALUES] = pixelValues(bytes);
  // Exports without an attention mask (the text tower can do without) are fed none.
  const feeds = Object.fromEntries(Object.entries(given).filter(([name]) => inputNames.has(name)).map(([name, f]) => [name, new ort.Tensor(f.type, f.data, f.dims)]));
  const embeds = (await session.run(feeds, [output]))[output].data as Float32Array;
  // The inputs go back to be refilled: left here, each batch's buffer would be garbage that
  // V8 frees only once ~64 MB of such buffers have piled up (+23 MB peak over 96 photos).
  const inputs = [...new Set(Object.values(job.run).map((f) => f.data.buffer as ArrayBuffer))];
  return { result: { embeds, inputs }, transfer: [embeds.buffer as ArrayBuffer, ...inputs] };
});
