// Shared by the process and ClickHouse tests: run the built scripts, install
// them with install.sh, and open an embedded ClickHouse on what was installed.

import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Session } from 'chdb';
import { inject } from 'vitest';

export const ROOT = join(import.meta.dirname, '..');
export const DIST = join(ROOT, 'dist');

/** A tensor's float32 values as bytes, to compare two answers bit for bit. */
export function floatBits(t: { data: unknown }): Buffer {
  const values = t.data as Float32Array;
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** A fresh folder under the run's temporary root, which the global setup removes at the end. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(inject('tmpRoot'), `${prefix}-`));
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// The node flags this process got from vitest.config.ts, which are the launcher's (install.sh).
const NODE_FLAGS = process.execArgv.filter((f) => f === '--harmony-rab-gsab-transfer');

/** Runs a built script to completion with `input` on stdin (executable mode), in this environment or `env`. */
export function runScript(script: string, args: string[], input: Buffer | string, env?: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, join(DIST, `${script}.mjs`), ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {}); // the script may exit before reading everything
    child.stdin.end(input);
  });
}

export function parseVectors(stdout: string): number[][] {
  return stdout.split('\n').slice(0, -1).map((line) => JSON.parse(line));
}

export function norm(v: number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

export interface Installed {
  scriptsDir: string;
  configDir: string;
  /** Plays the server's user_files directory: encode_image may read below it. */
  userFilesDir: string;
}

export async function install(args: string[]): Promise<Installed & { output: string }> {
  const base = tempDir('install');
  const scriptsDir = join(base, 'user_scripts');
  const configDir = join(base, 'config');
  const userFilesDir = join(base, 'user_files');
  mkdirSync(userFilesDir);
  const { stdout, stderr } = await promisify(execFile)('bash', [
    join(ROOT, 'install.sh'),
    ...['--scripts-dir', scriptsDir, '--config-dir', configDir, '--user-files-dir', userFilesDir],
    ...args,
  ]);
  return { scriptsDir, configDir, userFilesDir, output: stdout + stderr };
}

export function openClickHouse(installed: Installed): Session {
  return new Session(tempDir('chdb'), {
    connectionArgs: [
      `--user_scripts_path=${installed.scriptsDir}`,
      `--user_defined_executable_functions_config=${installed.configDir}/*_function.xml`,
    ],
  });
}

/** SQL string literal for arbitrary text. */
export function sqlString(text: string): string {
  return "'" + text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0') + "'";
}

/** Deterministic PRNG (mulberry32) so a failing random test can be replayed. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
