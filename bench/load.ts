// How much of the machine OTHER processes used while something was measured:
// busy CPU time from /proc/stat minus the CPU time of this process and its
// descendants (the scripts, chDB's pool processes). On a shared 2-core machine a
// concurrent test run halves every number; this says when that happened.

import { readdirSync, readFileSync } from 'node:fs';

interface Snapshot {
  busy: number;
  total: number;
  ours: Map<number, number>;
}

function cpuTotals(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal
  const idle = fields[3] + fields[4]; // idle + iowait
  return { busy: total - idle, total };
}

/** CPU time (clock ticks) of this process and every descendant alive now, reaped children included. */
function ourTicks(): Map<number, number> {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(rest[1]));
      // utime + stime, plus cutime + cstime: the time of children that exited and were
      // reaped meanwhile (executable mode starts and ends a process per block).
      ticks.set(Number(entry), Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]));
    } catch {
      // gone meanwhile
    }
  }
  const ours = new Map<number, number>();
  for (const [pid, t] of ticks) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        ours.set(pid, t);
        break;
      }
    }
  }
  return ours;
}

export function startLoad(): Snapshot {
  return { ...cpuTotals(), ours: ourTicks() };
}

/** Share of all cores' time that other processes used since `start`, 0..1. */
export function othersLoad(start: Snapshot): number {
  const end = startLoad();
  let ours = 0;
  for (const [pid, t] of end.ours) ours += t - (start.ours.get(pid) ?? 0);
  const total = end.total - start.total;
  if (total <= 0) return 0;
  return Math.max(0, Math.min(1, (end.busy - start.busy - ours) / total));
}

/** Share of all cores' time that this process and its descendants used since `start`, 0..1. */
export function ourLoad(start: Snapshot): number {
  const end = startLoad();
  let ours = 0;
  for (const [pid, t] of end.ours) ours += t - (start.ours.get(pid) ?? 0);
  const total = end.total - start.total;
  return total <= 0 ? 0 : Math.max(0, Math.min(1, ours / total));
}

/** A measurement with at most this much of the machine used by others counts as clean. */
export const QUIET = 0.05;

/**
 * Runs a measurement up to `tries` times, stopping at the first clean one, and keeps
 * the least disturbed: on a shared machine a concurrent job otherwise decides the result.
 */
export async function leastDisturbed<T extends { othersLoad: number }>(tries: number, run: () => Promise<T>): Promise<T & { attempts: number }> {
  let best: T | null = null;
  let attempts = 0;
  while (attempts < tries) {
    const r = await run();
    attempts++;
    if (best === null || r.othersLoad < best.othersLoad) best = r;
    if (best.othersLoad <= QUIET) break;
  }
  return { ...(best as T), attempts };
}

export interface Sample {
  ms: number;
  othersLoad: number;
}

/** A pass of rows through a script, some of which it may answer [] (photos it cannot encode). */
export interface RowsPass extends Sample {
  empties: number;
}

/** The pass a measurement kept, and how many it made. */
export type Kept<P extends Sample> = P & { attempts: number; runsMs?: number[] };

/**
 * A measurement made ready once (a loaded session, a warm process or pool) and timed pass by
 * pass, so that several can alternate (core.ts); `finish` reads its result from the pass kept.
 */
export interface Timed<P extends Sample, R> {
  pass(): Promise<P>;
  finish(kept: Kept<P>): R | Promise<R>;
}

/**
 * Runs each of `variants` once per round, alternating (round 1: A B C, round 2: A B C, ...),
 * and keeps for each its fastest clean run (others <= QUIET), or its least disturbed one if
 * none was clean. Alternating spreads slow phases of a shared machine (which `others` does not
 * always see: a noisy neighbour on the host) over all variants instead of one, so their ratios
 * hold better than from back-to-back measurements.
 */
export async function interleaved<T extends Sample>(rounds: number, variants: Array<() => Promise<T>>): Promise<Array<T & { attempts: number; runsMs: number[] }>> {
  const samples: T[][] = variants.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, run] of variants.entries()) samples[i]!.push(await run());
  }
  return samples.map(keepBest);
}

/** Of one variant's runs, the fastest clean one, or the least disturbed if none was clean. */
export function keepBest<T extends Sample>(list: T[]): T & { attempts: number; runsMs: number[] } {
  const clean = list.filter((s) => s.othersLoad <= QUIET);
  const best = clean.length
    ? clean.reduce((a, b) => (b.ms < a.ms ? b : a))
    : list.reduce((a, b) => (b.othersLoad < a.othersLoad ? b : a));
  return { ...best, attempts: list.length, runsMs: list.map((s) => s.ms) };
}
