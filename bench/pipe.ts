// (b) The built scripts over a pipe, fed exactly as an executable_pool feeds them,
// after a warm-up block so the model load is not counted; (e) their peak RSS.

import { memoryOf } from './proc.ts';
import { frameBlock, ScriptProcess } from './script-process.ts';
import { since } from './stats.ts';

export interface PipeResult {
  items: number;
  ms: number;
  rate: number;
  /** Spawn to the warm-up block's last answer (model load included). */
  warmupMs: number;
  empties: number;
  dims: number | null;
  /** Peak resident set of the script process, bytes. */
  peakRss: number | null;
  stderrTail: string;
}

/** ClickHouse's default max_block_size: the most rows one block can carry. */
export const MAX_BLOCK = 65409;

export async function pipeRun(distDir: string, script: 'encode_text' | 'encode_image', args: string[], values: string[], warmup: string[]): Promise<PipeResult> {
  const proc = new ScriptProcess(distDir, script, [...args, '--chunk-header']);
  try {
    proc.write(frameBlock(warmup));
    await proc.untilAnswered(warmup.length, 300_000);
    const warmupMs = since(proc.spawnedAt);
    const blocks: Buffer[] = [];
    for (let i = 0; i < values.length; i += MAX_BLOCK) blocks.push(frameBlock(values.slice(i, i + MAX_BLOCK)));
    const before = proc.empties;
    const start = performance.now();
    for (const block of blocks) proc.write(block);
    const end = await proc.untilAnswered(warmup.length + values.length, Math.max(120_000, values.length * 5_000));
    const ms = end - start;
    const memory = memoryOf(proc.pid);
    return {
      items: values.length,
      ms,
      rate: (values.length * 1000) / ms,
      warmupMs,
      empties: proc.empties - before,
      dims: proc.dims,
      peakRss: memory?.peakRss ?? null,
      stderrTail: proc.stderrTail,
    };
  } finally {
    await proc.close();
  }
}
