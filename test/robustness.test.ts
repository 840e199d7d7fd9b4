// The process under abuse: random bytes split at random places, huge rows, big
// blocks, signals, a reader that goes away. Nothing may crash, hang or desync.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { escapeField } from '../src/protocol/tsv.ts';
import { DIST, parseVectors, rng, runScript } from './helpers.ts';
import { FIXTURE_DIR } from './fixtures/images/fixtures.ts';

const modelDir = inject('modelDir');

function start(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [join(DIST, 'encode_text.mjs'), '--model-dir', modelDir, ...args]);
}

function peakRssMb(pid: number): number {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

/** Feeds `data` in random pieces and collects stdout until `lines` answers arrived. */
async function feedRandomly(child: ChildProcessWithoutNullStreams, data: Buffer, lines: number, random: () => number): Promise<string[]> {
  let out = '';
  const done = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.split('\n').length - 1 >= lines) resolve();
    });
    child.on('close', (code) => reject(new Error(`exited with ${code} after ${out.split('\n').length - 1} of ${lines} rows`)));
  });
  for (let at = 0; at < data.length; ) {
    const n = 1 + Math.floor(random() * 4096);
    if (!child.stdin.write(data.subarray(at, at + n))) await new Promise((r) => child.stdin.once('drain', r));
    at += n;
  }
  await done;
  return out.split('\n').slice(0, lines);
}

describe('stdin fuzzing (executable_pool framing)', () => {
  it('answers exactly one vector per row for random bytes split at random places', async () => {
    const random = rng(11);
    const child = start(['--chunk-header', '--batch-size', '7']);
    const parts: Buffer[] = [];
    const rows: Buffer[] = [];
    for (let block = 0; block < 30; block++) {
      const n = Math.floor(random() * 40);
      parts.push(Buffer.from(`${n}\n`));
      for (let r = 0; r < n; r++) {
        const value = Buffer.alloc(Math.floor(random() * 300));
        for (let i = 0; i < value.length; i++) value[i] = Math.floor(random() * 256);
        rows.push(value);
        parts.push(escapeField(value), Buffer.from('\n'));
      }
    }
    const answers = await feedRandomly(child, Buffer.concat(parts), rows.length, random);
    expect(answers.every((a) => (JSON.parse(a) as number[]).length === 512)).toBe(true);
    // No desync: a sample of rows gives, alone, exactly the answer it got in the stream.
    for (const i of [0, 7, Math.floor(rows.length / 2), rows.length - 1]) {
      const alone = await runScript('encode_text', ['--model-dir', modelDir], Buffer.concat([escapeField(rows[i]), Buffer.from('\n')]));
      expect(parseVectors(alone.stdout)[0]).toEqual(JSON.parse(answers[i]));
    }
    expect(child.exitCode).toBe(null);
    child.stdin.end();
  });
});

describe('big inputs stay bounded', () => {
  it('encodes 10 MB rows quickly: text truncation drops the rest unread', async () => {
    const tenMb = 10 * 1024 * 1024;
    const words = 'a photo of a cat on the sofa '.repeat(tenMb / 29);
    const rows = ['a photo of a cat', words, 'x'.repeat(tenMb), ' '.repeat(tenMb) + 'cat', '\\0'.repeat(tenMb / 2)];
    const started = Date.now();
    const run = await runScript('encode_text', ['--model-dir', modelDir], rows.join('\n') + '\n');
    expect(run.code).toBe(0);
    const vectors = parseVectors(run.stdout);
    expect(vectors.map((v) => v.length)).toEqual([512, 512, 512, 512, 512]);
    // ' '*10M + 'cat' cleans to 'cat'; the words row starts like the first.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('keeps memory flat for a 190 MB block: rows are encoded in sub-batches, never all held', async () => {
    const measure = async (rows: number) => {
      const child = start(['--chunk-header']);
      const text = 'a beautiful sunset over the mountains '.repeat(100_000 / 38);
      const lines: string[] = [];
      for (let i = 0; i < rows; i++) lines.push(`${text}${i}`);
      const data = Buffer.from(`${rows}\n${lines.join('\n')}\n`);
      await feedRandomly(child, data, rows, rng(3));
      const peak = peakRssMb(child.pid!);
      child.stdin.end();
      return { peak, inputMb: data.length / 2 ** 20 };
    };
    const small = await measure(100);
    const big = await measure(2000);
    expect(big.inputMb).toBeGreaterThan(190);
    // Holding the block would add at least its size. Measured: 65-75 MB whatever the
    // block (two 8 MB calls in flight, their decoded strings, garbage V8 has not collected).
    expect(big.peak - small.peak).toBeLessThan(big.inputMb / 2);
  });
});

describe('big image blocks stay bounded', () => {
  it('decodes a block of 160 large photos a few at a time', async () => {
    const photo = join(FIXTURE_DIR, 'jpeg_huge_4000x3000.jpg');
    const measure = async (rows: number) => {
      const child = spawn(process.execPath, [join(DIST, 'encode_image.mjs'), '--model-dir', modelDir, '--chunk-header', '--allow-dir', FIXTURE_DIR]);
      const answers = await feedRandomly(child, Buffer.from(`${rows}\n${`${photo}\n`.repeat(rows)}`), rows, rng(5));
      expect(answers.every((a) => (JSON.parse(a) as number[]).length === 512)).toBe(true);
      const peak = peakRssMb(child.pid!);
      child.stdin.end();
      return peak;
    };
    const few = await measure(2);
    const many = await measure(160);
    // Each decoded 4000x3000 photo is 36 MB: holding the block would take 5.7 GB.
    expect(many - few).toBeLessThan(400);
  });
});

describe('signals and closed pipes', () => {
  it('ends cleanly on SIGTERM and on a closed stdin', async () => {
    for (const how of ['SIGTERM', 'close'] as const) {
      const child = start(['--chunk-header']);
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.on('close', r));
      await feedRandomly(child, Buffer.from('1\nhello\n'), 1, rng(1));
      if (how === 'SIGTERM') child.kill('SIGTERM');
      else child.stdin.end();
      expect(await exited, how).toBe(0);
      expect(stderr, how).toBe('');
    }
  });

  it('exits quietly when ClickHouse stops reading (EPIPE)', async () => {
    const child = start([]);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    child.stdout.once('data', () => child.stdout.destroy());
    child.stdin.on('error', () => {});
    child.stdin.end('a photo of a cat\n'.repeat(20000));
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });
});
