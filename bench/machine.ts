// What the numbers were measured on.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import ort from 'onnxruntime-node';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  onnxruntime: string;
  loadAvgStart: number[];
  /** nvidia-smi's name, memory and driver of the first GPU, when there is one. */
  gpu: string | null;
}

export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    onnxruntime: ort.env.versions.node ?? ort.env.versions.common,
    loadAvgStart: loadavg().map((x) => Math.round(x * 100) / 100),
    gpu: nvidiaGpu(),
  };
}

function nvidiaGpu(): string | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    const [name, memory, driver] = out.split('\n')[0].split(',').map((x) => x.trim());
    return `${name}, ${memory}, driver ${driver}`;
  } catch {
    return null;
  }
}

export function packageVersion(root: string, name: string): string {
  try {
    return JSON.parse(readFileSync(`${root}/node_modules/${name}/package.json`, 'utf8')).version;
  } catch {
    return 'unknown';
  }
}
