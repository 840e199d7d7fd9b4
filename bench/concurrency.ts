// POOL CONCURRENCY and EXECUTABLE MODE: the functions through chDB under the two ways
// ClickHouse runs them, all in one chDB session in a child process (chdb-child.ts) so the
// variants can alternate round by round (a shared machine's slow phases then hit them all).
//
// install.sh writes the definitions twice (--type executable_pool, --type executable); this
// file turns them into one config holding, per function (encode_text, encode_image):
//   <fn>_p1, <fn>_p2, <fn>_p4: executable_pool with pool_size P and --threads max(1, floor(cores / P))
//   <fn>_exec:                 executable (a process and a model load per block), --threads cores
// The inputs sit in Memory tables of BLOCKS blocks (one INSERT each). Each pool is warmed by
// a query over one-row blocks with max_threads = P (P processes start and load at once), then
//   SELECT ... <fn>_pP(v) ... FROM table SETTINGS max_threads = P
// has P streams each send their blocks to their own pool process at the same time: does
// pool_size x threads = cores use the machine, and what does oversubscribing cost? Pool
// sizes 1 and 2 also run a query that forms one block (max_threads 1), where only one pool
// process can work: what a small pool thread count costs single-block queries. The
// executable variant runs the same query with max_threads = 1: BLOCKS process starts and
// model loads, against the pool of size 1 on the same blocks.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChdbChildResult, ChdbJob, ChdbRun } from './chdb-child.ts';

/** Blocks the inputs are split into: at least the largest pool size, so every process has work. */
export const BLOCKS = 4;
export const POOL_SIZES = [1, 2, 4];
/**
 * Caption rows per block at least: encode_text sorts 8 model batches (256 rows) at a time by
 * length, so smaller blocks would measure worse padding rather than the pool (a scan's blocks
 * hold up to 65409 rows).
 */
export const MIN_TEXT_BLOCK = 256;

export type Run = ChdbRun | { key: string; error: string };

export interface PoolRow {
  poolSize: number;
  threads: number;
  text: Run;
  image: Run;
  /** The same pool on a query that forms ONE block (max_threads 1): only one process can work. */
  oneBlock: { text: Run; image: Run } | null;
}

/** Pool sizes also measured on a one-block query, and that block's rows. */
export const ONE_BLOCK_SIZES = [1, 2];
export const ONE_BLOCK_ROWS = { text: 256, image: 24 };

export interface ConcurrencyResult {
  cores: number;
  blocks: number;
  rounds: number;
  rows: { text: number; image: number };
  pool: PoolRow[];
  executable: { threads: number; text: Run; image: Run } | null;
  /** What install.sh picks on this machine when given neither --pool-size nor --threads. */
  installDefault: { poolSize: number | null; threads: number | null; line: string } | { error: string };
}

function split<T>(values: T[], parts: number): T[][] {
  const size = Math.ceil(values.length / parts);
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

function installInto(root: string, scriptsDir: string, configDir: string, args: string[]): string {
  return execFileSync('bash', [join(root, 'install.sh'), '--scripts-dir', scriptsDir, '--config-dir', configDir, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** The <function> element named `name` in an install.sh definitions file. */
function functionXml(xml: string, name: string): string {
  const found = xml.match(/<function>[\s\S]*?<\/function>/g)?.find((f) => f.includes(`<name>${name}</name>`));
  if (!found) throw new Error(`no <function> named ${name} in the definitions install.sh wrote`);
  return found;
}

function variantXml(fn: string, suffix: string, threads: number, poolSize: number | null): string {
  let out = fn.replace(/<name>(\w+)<\/name>/, `<name>$1_${suffix}</name>`);
  if (!/--threads \d+/.test(out)) throw new Error('no --threads N in the <command> install.sh wrote');
  out = out.replace(/--threads \d+/, `--threads ${threads}`);
  if (poolSize !== null) {
    if (!/<pool_size>\d+<\/pool_size>/.test(out)) throw new Error('no <pool_size> in the definitions install.sh wrote');
    out = out.replace(/<pool_size>\d+<\/pool_size>/, `<pool_size>${poolSize}</pool_size>`);
  }
  return out;
}

/** Runs one chdb-child.mjs job; resolves with its result line. */
function runChild(job: ChdbJob, jobFile: string, timeoutMs: number): Promise<ChdbChildResult> {
  writeFileSync(jobFile, JSON.stringify(job));
  const child = join(dirname(fileURLToPath(import.meta.url)), 'chdb-child.mjs');
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, jobFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('CHDB_RESULT '));
      if (line) resolve(JSON.parse(line.slice('CHDB_RESULT '.length)) as ChdbChildResult);
      else reject(new Error(`chdb-child exited (code ${code}, signal ${signal}) without a result: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

function installDefault(root: string, base: string, modelDir: string, extra: string[]): ConcurrencyResult['installDefault'] {
  try {
    const out = installInto(root, join(base, 'default-scripts'), join(base, 'default-config'), ['--model-dir', modelDir, ...extra]);
    const poolSize = Number(/pool_size\D{0,3}(\d+)/.exec(out)?.[1] ?? NaN);
    const threads = Number(/threads:?\s+(\d+)/.exec(out)?.[1] ?? NaN);
    const line = out.split('\n').filter((l) => /pool_size|threads/.test(l)).map((l) => l.trim().replace(/\s+/g, ' ')).join('; ');
    return { poolSize: Number.isFinite(poolSize) ? poolSize : null, threads: Number.isFinite(threads) ? threads : null, line };
  } catch (err) {
    return { error: (err as Error).message.split('\n')[0]!.slice(0, 300) };
  }
}

export async function concurrencyRun(opts: {
  root: string; modelDir: string; cores: number; captions: string[]; paths: string[]; rounds: number;
  pool: boolean; executable: boolean; log: (line: string) => void; extraInstall: string[];
}): Promise<ConcurrencyResult> {
  const { root, modelDir, cores, captions, paths, rounds, log, extraInstall } = opts;
  const base = join(root, '.cache/bench-pool');
  rmSync(base, { recursive: true, force: true });
  const scriptsDir = join(base, 'user_scripts');
  const configDir = join(base, 'config');
  mkdirSync(configDir, { recursive: true });
  try {
    // The definitions as install.sh writes them, then renamed and re-sized per variant.
    const common = ['--model-dir', modelDir, ...extraInstall];
    installInto(root, scriptsDir, join(base, 'pool-config'), [...common, '--type', 'executable_pool', '--pool-size', '1', '--threads', String(cores)]);
    installInto(root, scriptsDir, join(base, 'exec-config'), [...common, '--type', 'executable', '--threads', String(cores)]);
    const poolXml = readFileSync(join(base, 'pool-config/clickhouse_clip_function.xml'), 'utf8');
    const execXml = readFileSync(join(base, 'exec-config/clickhouse_clip_function.xml'), 'utf8');
    const sizes = opts.pool ? POOL_SIZES : [1]; // P = 1 is the executable variant's reference
    const functions: string[] = [];
    for (const fn of ['encode_text', 'encode_image']) {
      for (const p of sizes) functions.push(variantXml(functionXml(poolXml, fn), `p${p}`, Math.max(1, Math.floor(cores / p)), p));
      if (opts.executable) functions.push(variantXml(functionXml(execXml, fn), 'exec', cores, null));
    }
    writeFileSync(join(configDir, 'bench_function.xml'), `<functions>\n${functions.join('\n')}\n</functions>\n`);

    const warmBlocks = Math.max(...sizes);
    const oneBlockSizes = opts.pool ? ONE_BLOCK_SIZES : [];
    const variants = (fn: string, warm: string, oneRow: string, oneBlock: string) => [
      ...sizes.map((p) => ({ key: `p${p}`, fn: `${fn}_p${p}`, maxThreads: p, warmTable: warm })),
      ...oneBlockSizes.map((p) => ({ key: `p${p}-one`, fn: `${fn}_p${p}`, maxThreads: 1, warmTable: oneRow, table: oneBlock })),
      ...(opts.executable ? [{ key: 'exec', fn: `${fn}_exec`, maxThreads: 1, warmTable: oneRow }] : []),
    ];
    log(`concurrency: ${sizes.map((p) => `pool_size ${p} x ${Math.max(1, Math.floor(cores / p))} threads`).join(', ')}${opts.executable ? ', executable' : ''}; ${rounds} alternating round(s)`);
    const job: ChdbJob = {
      dataDir: join(base, 'data'), scriptsDir, configDir, rounds,
      tables: [
        { name: 'captions', blocks: split(captions, BLOCKS) },
        { name: 'images', blocks: split(paths, BLOCKS) },
        // One-row blocks: max_threads = P streams each borrow a pool process at once.
        { name: 'warm_captions', blocks: Array.from({ length: warmBlocks }, () => ['warm up']) },
        { name: 'warm_images', blocks: Array.from({ length: warmBlocks }, () => [paths[0]!]) },
        { name: 'one_caption', blocks: [['warm up']] },
        { name: 'one_image', blocks: [[paths[0]!]] },
        { name: 'one_block_captions', blocks: [captions.slice(0, ONE_BLOCK_ROWS.text)] },
        { name: 'one_block_images', blocks: [paths.slice(0, ONE_BLOCK_ROWS.image)] },
      ],
      towers: [
        { script: 'encode_text', table: 'captions', variants: variants('encode_text', 'warm_captions', 'one_caption', 'one_block_captions') },
        { script: 'encode_image', table: 'images', variants: variants('encode_image', 'warm_images', 'one_image', 'one_block_images') },
      ],
    };
    let result: ChdbChildResult;
    try {
      result = await runChild(job, join(base, 'job.json'), 1_800_000);
    } catch (err) {
      const error = (err as Error).message;
      result = [...job.towers[0]!.variants, ...job.towers[1]!.variants].map((v) => ({ key: v.key, error }));
    }
    const n = job.towers[0]!.variants.length;
    const text = result.slice(0, n);
    const image = result.slice(n);
    const pick = (list: Run[], key: string): Run => list.find((r) => r.key === key) ?? { key, error: 'not measured' };
    return {
      cores, blocks: BLOCKS, rounds, rows: { text: captions.length, image: paths.length },
      pool: sizes.map((p) => ({
        poolSize: p, threads: Math.max(1, Math.floor(cores / p)), text: pick(text, `p${p}`), image: pick(image, `p${p}`),
        oneBlock: oneBlockSizes.includes(p) ? { text: pick(text, `p${p}-one`), image: pick(image, `p${p}-one`) } : null,
      })),
      executable: opts.executable ? { threads: cores, text: pick(text, 'exec'), image: pick(image, 'exec') } : null,
      installDefault: installDefault(root, base, modelDir, extraInstall),
    };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
