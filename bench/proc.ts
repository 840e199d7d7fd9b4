// Memory of processes, from /proc (Linux). VmHWM is the peak resident set size.

import { readdirSync, readFileSync } from 'node:fs';
import { MODEL_THREAD } from '../src/model/towers.ts';

export interface Memory {
  /** Peak resident set, bytes. */
  peakRss: number;
  /** Current resident set, bytes. */
  rss: number;
}

export function memoryOf(pid: number): Memory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { peakRss: kb('VmHWM'), rss: kb('VmRSS') };
  } catch {
    return null;
  }
}

/** Direct children of `parent` whose command line contains `needle`. */
export function childrenMatching(parent: number, needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) found.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return found;
}


/** CPU time of a process so far, ms: all of it (threads that ended included), and its model threads'. */
export interface CpuSnapshot {
  total: number;
  model: number;
}

/** utime + stime of a /proc stat line, ms (USER_HZ ticks, which Linux reports at 100 a second). */
function cpuMsOf(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * 10;
}

export function cpuSnapshot(pid: number): CpuSnapshot | null {
  try {
    const total = cpuMsOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    let model = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() === MODEL_THREAD) model += cpuMsOf(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      } catch {
        // the thread ended meanwhile
      }
    }
    return { total, model };
  } catch {
    return null;
  }
}

/** Where a process's CPU went between two snapshots, ms per item. */
export interface CpuSplit {
  /** The tower's threads (MODEL_THREAD). */
  model: number;
  /** Every other thread: reading, decoding and preprocessing, the protocol, node's own. */
  rest: number;
}

export function cpuSplit(before: CpuSnapshot | null, after: CpuSnapshot | null, items: number): CpuSplit | null {
  if (!before || !after || items <= 0) return null;
  const model = after.model - before.model;
  // No model thread by that name (not Linux, or a build that does not name it): no split.
  if (model <= 0) return null;
  return { model: model / items, rest: (after.total - before.total - model) / items };
}
