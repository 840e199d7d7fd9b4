// (d) Cold start of a pool process: spawn to the first answered row, the row
// written at once (as ClickHouse does when it starts a slot for a block).
// Also the bare import cost of the bundle (`--help`: parse options, print, exit),
// which tells module loading apart from model loading.

import { memoryOf } from './proc.ts';
import { frameBlock, ScriptProcess } from './script-process.ts';
import { median } from './stats.ts';

export interface ColdResult {
  /** Spawn to first answered row, ms, one per run. */
  runs: number[];
  median: number;
  /** Spawn to exit of `--help`, ms (median). */
  importMs: number;
  peakRss: number | null;
  error?: string;
}

export async function coldStart(distDir: string, script: 'encode_text' | 'encode_image', args: string[], row: string, runs: number): Promise<ColdResult> {
  const times: number[] = [];
  const imports: number[] = [];
  let peakRss: number | null = null;
  try {
    for (let i = 0; i < runs; i++) {
      const help = new ScriptProcess(distDir, script, ['--help']);
      await new Promise<void>((resolve) => help.child.once('exit', () => resolve()));
      imports.push(performance.now() - help.spawnedAt);

      const proc = new ScriptProcess(distDir, script, [...args, '--chunk-header']);
      try {
        proc.write(frameBlock([row]));
        const at = await proc.untilAnswered(1, 120_000);
        if (proc.empties > 0) throw new Error(`the row was answered [] (${proc.stderrTail.split('\n').pop()})`);
        times.push(at - proc.spawnedAt);
        peakRss = memoryOf(proc.pid)?.peakRss ?? null;
      } finally {
        await proc.close();
      }
    }
    return { runs: times, median: median(times), importMs: median(imports), peakRss };
  } catch (err) {
    return { runs: times, median: times.length ? median(times) : NaN, importMs: imports.length ? median(imports) : NaN, peakRss, error: (err as Error).message };
  }
}
