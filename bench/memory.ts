// The memory floor for (e): a bare onnxruntime-node process with one tower loaded
// and the largest run the scripts make on the CPU (rss-probe.ts, run as a child so its
// peak is its own), under the malloc settings of the script that runs that tower.

import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CPU_TOKENS_PER_RUN } from '../src/encoders/text.ts';
import { towerFile, type Tower } from '../src/model/files.ts';
import { IMAGE_BATCH } from '../src/options.ts';
import type { Memory } from './proc.ts';
import { launcherEnv } from './script-process.ts';
import { CONTEXT } from './tokenize.ts';

export function bareOnnxruntimeMemory(modelDir: string, tower: Tower, threads: number): Memory {
  const probe = join(dirname(fileURLToPath(import.meta.url)), 'rss-probe.mjs');
  // Text: the longest run, full-length captions up to the tokens a CPU run may hold.
  const rows = tower === 'text' ? CPU_TOKENS_PER_RUN / CONTEXT : IMAGE_BATCH.cpu;
  const out = execFileSync(process.execPath, [probe, towerFile(modelDir, tower, 'fp32'), tower, String(threads), String(rows)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...launcherEnv(tower === 'text' ? 'encode_text' : 'encode_image') } });
  return JSON.parse(out) as Memory;
}
