// (c) The functions through embedded ClickHouse (chDB): installed with install.sh
// as an executable_pool, the pool warmed by one query, then one SELECT over a
// table of the same inputs with max_threads = 1 (one block, one pool process).

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Session } from 'chdb';
import { othersLoad, startLoad, type RowsPass, type Timed } from './load.ts';
import { childrenMatching, memoryOf } from './proc.ts';
import { since } from './stats.ts';

export interface ClickHouseRun {
  items: number;
  ms: number;
  rate: number;
  /** The warm-up query on a cold pool: ClickHouse spawning the slot, model load, one row. */
  coldQueryMs: number;
  /** Rows answered [] (image rows the script could not encode). */
  empties: number;
  poolProcesses: number;
  /** Peak resident set of the pool process(es), bytes (the largest). */
  peakRss: number | null;
  /** Share of the machine other processes used meanwhile (see load.ts). */
  othersLoad: number;
  attempts: number;
  /** Every timed query, ms (alternating rounds, see core.ts). */
  runsMs?: number[];
}

export interface ClickHouseResult {
  text: ClickHouseRun | { error: string };
  image: ClickHouseRun | { error: string };
  installArgs: string[];
}

const DIMS = 512;

function sqlString(text: string): string {
  return "'" + text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0') + "'";
}

/** install.sh into .cache/bench-ch, a chDB session on it and the inputs in Memory tables. */
export interface OpenClickHouse {
  installArgs: string[];
  /** Warms the function's pool with one row (timed: the cold query), or says why it failed. */
  warm(fn: 'encode_text' | 'encode_image'): Timed<RowsPass, ClickHouseRun> | { error: string };
  close(): void;
}

export async function openClickHouse(
  root: string, modelDir: string, threads: number, captions: string[], paths: string[], extraInstallArgs: string[] = [],
): Promise<OpenClickHouse> {
  const base = join(root, '.cache/bench-ch');
  const scriptsDir = join(base, 'user_scripts');
  const configDir = join(base, 'config');
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  const installArgs = ['--model-dir', modelDir, '--pool-size', '1', '--threads', String(threads), ...extraInstallArgs];
  execFileSync('bash', [join(root, 'install.sh'), '--scripts-dir', scriptsDir, '--config-dir', configDir, ...installArgs], { stdio: ['ignore', 'ignore', 'inherit'] });

  // Loaded here, not at the top: a machine without chDB (a GPU box) still runs the rest.
  const { Session } = await import('chdb');
  const session = new Session(join(base, 'data'), {
    connectionArgs: [`--user_scripts_path=${scriptsDir}`, `--user_defined_executable_functions_config=${configDir}/*_function.xml`],
  });
  try {
    // One INSERT each: a Memory table keeps it as one block, as a scan would deliver it.
    session.query('CREATE TABLE bench_captions (i UInt32, c String) ENGINE = Memory');
    session.query(`INSERT INTO bench_captions VALUES ${captions.map((c, i) => `(${i}, ${sqlString(c)})`).join(',')}`);
    session.query('CREATE TABLE bench_images (i UInt32, p String) ENGINE = Memory');
    session.query(`INSERT INTO bench_images VALUES ${paths.map((p, i) => `(${i}, ${sqlString(p)})`).join(',')}`);
  } catch (err) {
    session.close();
    throw err;
  }
  return {
    installArgs,
    warm: (fn) => fn === 'encode_text'
      ? warm(session, fn, 'bench_captions', 'c', captions.length)
      : warm(session, fn, 'bench_images', 'p', paths.length, paths[0]),
    close: () => session.close(),
  };
}

/** Each pass runs the query over the whole table once. */
function warm(session: Session, fn: string, table: string, column: string, rows: number, warmValue = 'warm up'): Timed<RowsPass, ClickHouseRun> | { error: string } {
  let coldQueryMs: number;
  try {
    const start = performance.now();
    const dims = Number(session.query(`SELECT length(${fn}(${sqlString(warmValue)}))`, 'TSV').trim());
    coldQueryMs = since(start);
    if (dims !== DIMS) return { error: `the warm-up query answered a vector of ${dims} values` };
  } catch (err) {
    return { error: firstLines((err as Error).message) };
  }
  return {
    async pass() {
      const load = startLoad();
      const start = performance.now();
      // The UDF runs once per row (the alias is computed once and used twice).
      const out = session.query(
        `SELECT sum(length(e)), countIf(length(e) = 0), count() FROM (SELECT ${fn}(${column}) AS e FROM ${table}) SETTINGS max_threads = 1`,
        'TSV',
      );
      const ms = since(start);
      const others = othersLoad(load);
      const [total, empties, count] = out.trim().split('\t').map(Number);
      if (count !== rows || total !== (rows - empties) * DIMS) throw new Error(`unexpected result ${out.trim()} for ${rows} rows`);
      return { ms, empties, othersLoad: others };
    },
    finish(kept) {
      if (kept.empties === rows) throw new Error('every row was answered []');
      const pids = childrenMatching(process.pid, `${fn}.mjs`);
      const peaks = pids.map((pid) => memoryOf(pid)?.peakRss ?? 0);
      return {
        items: rows, ms: kept.ms, rate: (rows * 1000) / kept.ms, coldQueryMs, empties: kept.empties, poolProcesses: pids.length,
        peakRss: peaks.length ? Math.max(...peaks) : null, othersLoad: kept.othersLoad, attempts: kept.attempts, runsMs: kept.runsMs,
      };
    },
  };
}

function firstLines(message: string): string {
  return message.split('\n').slice(0, 4).join(' ').slice(0, 600);
}
