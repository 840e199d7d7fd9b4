// `node .cache/bench/ab.mjs DIST_A DIST_B [ROUNDS]` (after `node bench/build.mjs`): two builds of
// encode_image over a pipe, as (b) runs them, in alternating rounds (A, B, A, B, ...), on the
// bench's photos and model (made by `npm run bench` when missing). Prints photos/s and peak RSS
// (VmHWM) of every round and their medians. On a machine whose speed drifts by 10% within minutes,
// only alternating runs can show a change of a few percent or a few MiB. DIST_X is a copy of
// dist/ (`cp -r dist /tmp/a`), so both builds survive the next `npm run build`. Both run with the
// node flags and environment of this checkout's launcher (script-process.ts).

import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureModel } from './model.ts';
import { photos as makePhotos } from './photos.ts';
import { pipeRun } from './pipe.ts';
import { median } from './stats.ts';

const USAGE = 'usage: node .cache/bench/ab.mjs DIST_A DIST_B [ROUNDS (default 4)]\n';

async function main(): Promise<void> {
  const [a, b, roundsArg = '4'] = process.argv.slice(2);
  const rounds = Number(roundsArg);
  if (a === undefined || b === undefined || !(Number.isInteger(rounds) && rounds >= 1)) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const model = await ensureModel(join(root, '.cache/bench-models/clip-base'), true, log);
  const paths = (await makePhotos(96, 1, join(root, '.cache/bench-inputs'), log)).map((p) => p.path);
  const args = ['--model-dir', model.dir, '--threads', String(availableParallelism()), '--allow-dir', dirname(paths[0]!)];
  const builds = [resolve(a), resolve(b)];
  const seen = builds.map(() => ({ rate: [] as number[], peak: [] as number[] }));
  for (let round = 1; round <= rounds; round++) {
    for (const [i, dist] of builds.entries()) {
      const r = await pipeRun(dist, 'encode_image', args, paths, paths.slice(0, 8));
      const peak = (r.peakRss ?? 0) / 2 ** 20;
      seen[i]!.rate.push(r.rate);
      seen[i]!.peak.push(peak);
      log(`round ${round} ${'AB'[i]} ${dist}: ${r.rate.toFixed(1)} photos/s, peak ${peak.toFixed(0)} MiB`);
    }
  }
  for (const [i, dist] of builds.entries()) {
    const { rate, peak } = seen[i]!;
    process.stdout.write(`${'AB'[i]} ${dist}: photos/s median ${median(rate).toFixed(2)} (${Math.min(...rate).toFixed(1)}-${Math.max(...rate).toFixed(1)}), ` +
      `peak median ${median(peak).toFixed(0)} MiB (${Math.min(...peak).toFixed(0)}-${Math.max(...peak).toFixed(0)})\n`);
  }
}

await main();
