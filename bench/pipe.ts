// (b) The built scripts over a pipe, fed exactly as an executable_pool feeds them,
// after a warm-up block so the model load is not counted; (e) their peak RSS.

import { leastDisturbed, othersLoad, startLoad, type Kept, type RowsPass, type Timed } from './load.ts';
import { cpuSnapshot, cpuSplit, memoryOf, type CpuSplit } from './proc.ts';
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
  /** Its resident set after the last block, bytes. */
  rss: number | null;
  /** Share of the machine other processes used meanwhile (see load.ts). */
  othersLoad: number;
  /** CPU per item of the kept pass: the model's threads and the rest (Linux). */
  cpu: CpuSplit | null;
  attempts: number;
  /** Every timed pass, ms (alternating rounds, see core.ts). */
  runsMs?: number[];
  stderrTail: string;
}

/** ClickHouse's default max_block_size: the most rows one block can carry. */
export const MAX_BLOCK = 65409;

/** A warm script process: each pass writes the values, `finish` adds its peak RSS. */
interface PipePass extends RowsPass {
  cpu: CpuSplit | null;
}

export interface OpenPipe extends Timed<PipePass, PipeResult> {
  finish(kept: Kept<PipePass>): PipeResult;
  close(): Promise<void>;
}

/** Starts the script and answers its warm-up block (the model load is not timed). */
export async function openPipe(distDir: string, script: 'encode_text' | 'encode_image', args: string[], values: string[], warmup: string[]): Promise<OpenPipe> {
  const proc = new ScriptProcess(distDir, script, [...args, '--chunk-header']);
  let expected = warmup.length;
  let warmupMs: number;
  try {
    proc.write(frameBlock(warmup));
    await proc.untilAnswered(expected, 300_000);
    warmupMs = since(proc.spawnedAt);
  } catch (err) {
    await proc.close();
    throw err;
  }
  const blocks: Buffer[] = [];
  for (let i = 0; i < values.length; i += MAX_BLOCK) blocks.push(frameBlock(values.slice(i, i + MAX_BLOCK)));
  return {
    async pass() {
      const before = proc.empties;
      const cpuBefore = cpuSnapshot(proc.pid);
      const load = startLoad();
      const start = performance.now();
      for (const block of blocks) proc.write(block);
      expected += values.length;
      const end = await proc.untilAnswered(expected, Math.max(120_000, values.length * 5_000));
      const cpu = cpuSplit(cpuBefore, cpuSnapshot(proc.pid), values.length);
      return { ms: end - start, othersLoad: othersLoad(load), empties: proc.empties - before, cpu };
    },
    finish(kept) {
      if (kept.empties === values.length) {
        throw new Error(`every row was answered [] (${proc.stderrTail.split('\n').pop() ?? 'no stderr'})`);
      }
      const memory = memoryOf(proc.pid);
      return {
        items: values.length,
        ms: kept.ms,
        rate: (values.length * 1000) / kept.ms,
        warmupMs,
        empties: kept.empties,
        dims: proc.dims,
        peakRss: memory?.peakRss ?? null,
        rss: memory?.rss ?? null,
        othersLoad: kept.othersLoad,
        cpu: kept.cpu,
        attempts: kept.attempts,
        runsMs: kept.runsMs,
        stderrTail: proc.stderrTail,
      };
    },
    close: () => proc.close(),
  };
}

export async function pipeRun(distDir: string, script: 'encode_text' | 'encode_image', args: string[], values: string[], warmup: string[], tries = 1): Promise<PipeResult> {
  const pipe = await openPipe(distDir, script, args, values, warmup);
  try {
    return pipe.finish(await leastDisturbed(tries, pipe.pass));
  } finally {
    await pipe.close();
  }
}
