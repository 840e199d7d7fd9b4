// Bundled on its own (build.mjs) and run as a child process by concurrency.ts: one chDB
// engine (chDB allows one per process) whose function config holds one copy of encode_text /
// encode_image per variant under its own name (encode_text_p1, encode_text_p2, ...
// encode_text_exec), so the variants can be measured alternately in one session.
// Usage: node chdb-child.mjs JOB.json  -> prints one line "CHDB_RESULT {...}" (ChdbChildResult)

import { readFileSync } from 'node:fs';
import { Session } from 'chdb';
import { interleaved, othersLoad, ourLoad, startLoad } from './load.ts';
import { childrenMatching, memoryOf } from './proc.ts';
import { since } from './stats.ts';

export interface ChdbJob {
  dataDir: string;
  scriptsDir: string;
  configDir: string;
  /** Memory tables (i UInt32, v String), each block inserted on its own so it stays a block. */
  tables: Array<{ name: string; blocks: string[][] }>;
  /** Measured tower by tower; each tower's variants alternate for `rounds` rounds. */
  towers: Array<{ script: 'encode_text' | 'encode_image'; table: string; variants: ChdbVariant[] }>;
  rounds: number;
}

export interface ChdbVariant {
  key: string;
  /** The SQL function name. */
  fn: string;
  maxThreads: number;
  /** Run once first, untimed: starts the pool processes (a table of one-row blocks). */
  warmTable: string;
  /** The timed table, when not the tower's. */
  table?: string;
}

export interface ChdbRun {
  key: string;
  rows: number;
  ms: number;
  rate: number;
  /** Every timed run, ms, in round order. */
  runsMs: number[];
  empties: number;
  /** The warm-up query (spawning and model loads), ms. */
  warmupMs: number;
  /** Processes of this variant alive after its timed runs (its pool). */
  processes: number;
  peakRss: number | null;
  /** Share of the machine this process tree used during the kept run (2 busy cores of 2 = 100%). */
  ourLoad: number;
  othersLoad: number;
  attempts: number;
}

export type ChdbChildResult = Array<ChdbRun | { key: string; error: string }>;

function sqlString(text: string): string {
  return "'" + text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0') + "'";
}

function firstLines(message: string): string {
  return message.split('\n').slice(0, 4).join(' ').slice(0, 600);
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ChdbJob;
  const session = new Session(job.dataDir, {
    connectionArgs: [`--user_scripts_path=${job.scriptsDir}`, `--user_defined_executable_functions_config=${job.configDir}/*_function.xml`],
  });
  const rowsOf = new Map<string, number>();
  for (const t of job.tables) {
    session.query(`CREATE TABLE ${t.name} (i UInt32, v String) ENGINE = Memory`);
    let i = 0;
    for (const block of t.blocks) session.query(`INSERT INTO ${t.name} VALUES ${block.map((v) => `(${i++}, ${sqlString(v)})`).join(',')}`);
    rowsOf.set(t.name, i);
  }
  const sql = (fn: string, table: string, maxThreads: number) =>
    `SELECT sum(length(e)), countIf(length(e) = 0), count() FROM (SELECT ${fn}(v) AS e FROM ${table}) SETTINGS max_threads = ${maxThreads}`;

  const results: ChdbChildResult = [];
  for (const tower of job.towers) {
    const live: Array<{ v: ChdbVariant; warmupMs: number; pids: number[] }> = [];
    for (const v of tower.variants) {
      try {
        const before = new Set(childrenMatching(process.pid, `${tower.script}.mjs`));
        const start = performance.now();
        session.query(sql(v.fn, v.warmTable, v.maxThreads), 'TSV');
        const warmupMs = since(start);
        live.push({ v, warmupMs, pids: childrenMatching(process.pid, `${tower.script}.mjs`).filter((p) => !before.has(p)) });
      } catch (err) {
        results.push({ key: v.key, error: `warm-up: ${firstLines((err as Error).message)}` });
      }
    }
    const failed = new Map<string, string>();
    const kept = await interleaved(job.rounds, live.map(({ v }) => async () => {
      if (failed.has(v.key)) return { ms: NaN, othersLoad: 1, ourLoad: 0, empties: 0 };
      const rows = rowsOf.get(v.table ?? tower.table)!;
      try {
        const load = startLoad();
        const start = performance.now();
        const out = session.query(sql(v.fn, v.table ?? tower.table, v.maxThreads), 'TSV');
        const ms = since(start);
        const sample = { ms, othersLoad: othersLoad(load), ourLoad: ourLoad(load) };
        const [total, empties, count] = out.trim().split('\t').map(Number);
        if (count !== rows || total !== (rows - empties!) * 512) throw new Error(`unexpected result ${out.trim()} for ${rows} rows`);
        if (empties === rows) throw new Error('every row was answered []');
        return { ...sample, empties: empties! };
      } catch (err) {
        failed.set(v.key, firstLines((err as Error).message));
        return { ms: NaN, othersLoad: 1, ourLoad: 0, empties: 0 };
      }
    }));
    live.forEach(({ v, warmupMs, pids }, i) => {
      const error = failed.get(v.key);
      if (error) {
        results.push({ key: v.key, error });
        return;
      }
      const best = kept[i]!;
      const rows = rowsOf.get(v.table ?? tower.table)!;
      const alive = pids.filter((pid) => Number.isFinite(memoryOf(pid)?.peakRss)); // executable: none
      const peaks = alive.map((pid) => memoryOf(pid)?.peakRss ?? 0);
      results.push({
        key: v.key, rows, ms: best.ms, rate: (rows * 1000) / best.ms, runsMs: best.runsMs, empties: best.empties, warmupMs,
        processes: alive.length, peakRss: peaks.length ? Math.max(...peaks) : null, ourLoad: best.ourLoad, othersLoad: best.othersLoad, attempts: best.attempts,
      });
    });
    // This tower's pools are done: end them (as the server would at shutdown), so the next
    // tower's pools do not share the memory with them.
    for (const pid of childrenMatching(process.pid, `${tower.script}.mjs`)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  session.close();
  process.stdout.write(`CHDB_RESULT ${JSON.stringify(results)}\n`, () => process.exit(0));
}

main().catch((err: Error) => {
  process.stderr.write(`chdb-child: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
