// Bundled on its own (see build.mjs) and run as a child process by memory.ts: the
// peak RSS of a bare onnxruntime-node process that loads one tower and runs ROWS rows
// (captions of 77 tokens, or photos) at once, fetching only the embeddings, with the
// scripts' session options. The floor for (e): what the scripts add on top is theirs.
// Usage: node rss-probe.mjs TOWER_FILE text|vision THREADS ROWS  -> prints {"peakRss":..,"rss":..}

import ort from 'onnxruntime-node';
import { PIXEL_BYTES } from '../src/model/pixel-feed.ts';
import { pickTowerFile } from '../src/model/prepared.ts';
import { disableOrtTelemetry } from '../src/model/telemetry.ts';
import { memoryOf } from './proc.ts';

const [source, tower, threads, rowsArg] = process.argv.slice(2);
const rows = Number(rowsArg);
// The file the scripts would load: the prepared copy where there is one.
const file = pickTowerFile(source, ort);
disableOrtTelemetry();
// As src/model/towers.ts sets them on the CPU.
const session = await ort.InferenceSession.create(file, {
  intraOpNumThreads: Number(threads),
  interOpNumThreads: 1,
  enableMemPattern: false,
  ...(tower === 'vision' && { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
});
if (tower === 'text') {
  const [n, width] = [rows, 77];
  const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', new BigInt64Array(n * width).fill(320n), [n, width]) };
  if (session.inputNames.includes('attention_mask')) feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(n * width).fill(1n), [n, width]);
  await session.run(feeds, ['text_embeds']);
} else if (session.inputNames.includes(PIXEL_BYTES)) {
  // A prepared tower takes the crops as bytes, as the script hands them (pixel-feed.ts).
  await session.run({ [PIXEL_BYTES]: new ort.Tensor('uint8', new Uint8Array(rows * 224 * 224 * 3), [rows, 224, 224, 3]) }, ['image_embeds']);
} else {
  await session.run({ pixel_values: new ort.Tensor('float32', new Float32Array(rows * 3 * 224 * 224), [rows, 3, 224, 224]) }, ['image_embeds']);
}
process.stdout.write(JSON.stringify(memoryOf(process.pid)) + '\n', () => process.exit(0));
