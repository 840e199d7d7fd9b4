// One built script (dist/encode_*.mjs) driven over pipes the way an
// executable_pool drives it: chunk header N, N TabSeparated rows, read N answers.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { escapeField } from '../src/protocol/tsv.ts';

/**
 * What install.sh's launcher adds to a script's environment (see its comments), so the
 * processes measured here are the ones a server runs: libuv's pool (where sharp decodes)
 * sized to the cores, and glibc's malloc fixed the way each script wants; unless the caller
 * chose.
 */
export function launcherEnv(script: string): Record<string, string> {
  const env: Record<string, string> = {
    UV_THREADPOOL_SIZE: String(Math.max(4, availableParallelism())),
    ...(script === 'encode_image'
      ? { MALLOC_MMAP_THRESHOLD_: '4194304', MALLOC_TRIM_THRESHOLD_: '4194304', MALLOC_ARENA_MAX: '1' }
      : { MALLOC_MMAP_THRESHOLD_: '131072' }),
  };
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, process.env[name] ?? value]));
}

function onGpu(args: string[]): boolean {
  const at = args.lastIndexOf('--device');
  return at >= 0 && args[at + 1] !== 'cpu';
}

const TRANSFER_FLAG = '--harmony-rab-gsab-transfer';
let transferFlag: string[] | undefined;

/** install.sh's probe: the flag only where this Node has the method behind it. */
function imageTransferFlag(): string[] {
  const probe = 'process.exit(typeof ArrayBuffer.prototype.transfer === "function" ? 0 : 1)';
  transferFlag ??= spawnSync(process.execPath, ['-e', probe]).status !== 0 && spawnSync(process.execPath, [TRANSFER_FLAG, '-e', probe]).status === 0 ? [TRANSFER_FLAG] : [];
  return transferFlag;
}

/** The node flags install.sh's launcher gives `script` started with `args`. */
export function launcherNodeFlags(script: string, args: string[]): string[] {
  const image = script === 'encode_image';
  return [...(onGpu(args) ? [] : [`--max-semi-space-size=${image ? 1 : 4}`]), ...(image ? imageTransferFlag() : [])];
}

/** A block exactly as ClickHouse frames it with send_chunk_header=1. */
export function frameBlock(values: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`${values.length}\n`)];
  const newline = Buffer.from('\n');
  for (const v of values) parts.push(escapeField(Buffer.from(v, 'utf8')), newline);
  return Buffer.concat(parts);
}

export class ScriptProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly spawnedAt = performance.now();
  /** performance.now() when the first answer row was complete. */
  firstAnswerAt: number | null = null;
  answered = 0;
  /** Rows answered `[]` (a row the script could not encode). */
  empties = 0;
  /** Values in the first non-empty answer row. */
  dims: number | null = null;
  exit: { code: number | null; signal: string | null } | null = null;
  private stderr = '';
  private lineBytes = 0;
  private firstLine: Buffer[] | null = [];
  private waiters: Array<{ rows: number; resolve: (at: number) => void; reject: (err: Error) => void }> = [];

  constructor(distDir: string, script: string, args: string[]) {
    this.child = spawn(process.execPath, [...launcherNodeFlags(script, args), join(distDir, `${script}.mjs`), ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...launcherEnv(script) } });
    this.child.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.child.stdin.on('error', () => {}); // the script may die before reading everything
    this.child.on('exit', (code, signal) => {
      this.exit = { code, signal };
      this.failWaiters(`the script exited (code ${code}, signal ${signal}) after ${this.answered} answers`);
    });
    this.child.on('error', (err) => this.failWaiters(err.message));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The last few KiB of the script's stderr. */
  get stderrTail(): string {
    return this.stderr.trim();
  }

  write(bytes: Buffer | string): void {
    this.child.stdin.write(bytes);
  }

  /** Resolves with performance.now() once `rows` answers in all have arrived. */
  untilAnswered(rows: number, timeoutMs: number): Promise<number> {
    if (this.answered >= rows) return Promise.resolve(performance.now());
    if (this.exit) return Promise.reject(new Error(`the script had already exited (code ${this.exit.code})${this.tail()}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer ${rows} within ${timeoutMs / 1000} s (${this.answered} so far)${this.tail()}`)), timeoutMs);
      this.waiters.push({
        rows,
        resolve: (at) => { clearTimeout(timer); resolve(at); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      });
    });
  }

  /** Closes stdin (the pool shutting down) and waits for the exit, killing after `graceMs`. */
  async close(graceMs = 10_000): Promise<void> {
    if (this.exit) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  private tail(): string {
    return this.stderrTail ? `; stderr: ${this.stderrTail.split('\n').slice(-3).join(' | ')}` : '';
  }

  private failWaiters(message: string): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new Error(message + this.tail()));
  }

  private onStdout(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      this.lineBytes += nl - start;
      if (this.firstLine) this.firstLine.push(chunk.subarray(start, nl));
      this.endLine();
      start = nl + 1;
    }
    this.lineBytes += chunk.length - start;
    if (this.firstLine && start < chunk.length) this.firstLine.push(chunk.subarray(start));
  }

  private endLine(): void {
    const now = performance.now();
    if (this.answered === 0) this.firstAnswerAt = now;
    this.answered++;
    if (this.lineBytes <= 2) {
      this.empties++;
    } else if (this.firstLine) {
      const text = Buffer.concat(this.firstLine).toString();
      this.dims = text.startsWith('[') ? text.split(',').length : null;
      this.firstLine = null;
    }
    if (this.firstLine) this.firstLine = [];
    this.lineBytes = 0;
    const ready = this.waiters.filter((w) => this.answered >= w.rows);
    this.waiters = this.waiters.filter((w) => this.answered < w.rows);
    for (const w of ready) w.resolve(now);
  }
}
