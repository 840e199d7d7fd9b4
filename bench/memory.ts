// The memory floor for (e): a bare onnxruntime-node process with one tower loaded
// and one full batch run (rss-probe.ts, run as a child so its peak is its own),
// under the same malloc settings as the scripts.

import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { towerFile, type Tower } from '../src/model/files.ts';
import type { Memory } from './proc.ts';
import { LAUNCHER_ENV } from './script-process.ts';

export function bareOnnxruntimeMemory(modelDir: string, tower: Tower, threads: number): Memory {
  const probe = join(dirname(fileURLToPath(import.meta.url)), 'rss-probe.mjs');
  const out = execFileSync(process.execPath, [probe, towerFile(modelDir, tower, 'fp32'), tower, String(threads)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...LAUNCHER_ENV } });
  return JSON.parse(out) as Memory;
}
