import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { escapeField, isNullField, splitFields, unescapeField } from '../src/protocol/tsv.ts';
import { LineSplitter } from '../src/protocol/lines.ts';
import { FramingError, readBatches, type Batch } from '../src/protocol/framing.ts';
import { formatArray, formatFloat } from '../src/protocol/arrays.ts';
import { serve } from '../src/serve.ts';
import type { Encode } from '../src/encoders/types.ts';
import { rng } from './helpers.ts';

function randomBytes(random: () => number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(random() * 256);
  return b;
}

async function* chunks(data: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let start = 0;
  for (const cut of cuts) {
    yield data.subarray(start, cut);
    start = cut;
  }
  yield data.subarray(start);
}

async function collect(data: Buffer, cuts: number[], chunkHeader: boolean, batchSize: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of readBatches(chunks(data, cuts), { chunkHeader, batchSize, maxBatchBytes: 1 << 30 })) out.push(b);
  return out;
}

describe('TabSeparated fields', () => {
  it('un-escapes what ClickHouse escapes', () => {
    const raw = Buffer.from('a\\tb\\nc\\\\d\\\'e\\0f\\bg\\fh\\ri"j', 'latin1');
    expect(unescapeField(raw)).toEqual(Buffer.from('a\tb\nc\\d\'e\0f\bg\fh\ri"j', 'latin1'));
  });

  it('round-trips arbitrary bytes through escape and un-escape', () => {
    const random = rng(1);
    for (let n = 0; n < 500; n++) {
      const value = randomBytes(random, Math.floor(random() * 64));
      const escaped = escapeField(value);
      expect(escaped.includes(0x0a)).toBe(false);
      expect(escaped.includes(0x09)).toBe(false);
      expect(unescapeField(escaped)).toEqual(value);
    }
  });

  it('keeps the string \\N apart from NULL', () => {
    expect(isNullField(Buffer.from('\\N'))).toBe(true);
    const literal = escapeField(Buffer.from('\\N'));
    expect(isNullField(literal)).toBe(false);
    expect(unescapeField(literal).toString()).toBe('\\N');
  });

  it('splits on raw tabs only', () => {
    expect(splitFields(Buffer.from('a\\tb\tc')).map(String)).toEqual(['a\\tb', 'c']);
    expect(splitFields(Buffer.from('')).map(String)).toEqual(['']);
  });
});

describe('framing', () => {
  it('splits lines at every possible byte boundary, including mid-UTF-8', () => {
    const text = Buffer.from('héllo\n\nwörld 🐱\nlast');
    for (let cut = 0; cut <= text.length; cut++) {
      const s = new LineSplitter();
      const lines = [...s.push(text.subarray(0, cut)), ...s.push(text.subarray(cut))].map(String);
      expect([...lines, String(s.rest())]).toEqual(['héllo', '', 'wörld 🐱', 'last']);
    }
  });

  it('frames chunk-headed blocks the same however the bytes are split', async () => {
    const random = rng(7);
    for (let round = 0; round < 200; round++) {
      const blocks: Buffer[][] = [];
      const parts: Buffer[] = [];
      const nBlocks = 1 + Math.floor(random() * 4);
      for (let b = 0; b < nBlocks; b++) {
        const rows = Array.from({ length: Math.floor(random() * 12) }, () => escapeField(randomBytes(random, Math.floor(random() * 20))));
        blocks.push(rows);
        parts.push(Buffer.from(`${rows.length}\n`), ...rows.flatMap((r) => [r, Buffer.from('\n')]));
      }
      const data = Buffer.concat(parts);
      const cuts = [...new Set(Array.from({ length: Math.floor(random() * 10) }, () => Math.floor(random() * data.length)))].sort((a, b) => a - b);
      const batchSize = 1 + Math.floor(random() * 5);
      const batches = await collect(data, cuts, true, batchSize);
      // Every block's rows arrive in order, in batches no larger than asked, the last one marked.
      for (let b = 0; b < blocks.length; b++) {
        const mine = batches.filter((x) => x.block === b + 1);
        expect(mine.flatMap((x) => x.rows)).toEqual(blocks[b]);
        expect(mine.at(-1)!.endsBlock).toBe(true);
        expect(mine.slice(0, -1).every((x) => !x.endsBlock && x.rows.length === batchSize)).toBe(true);
        expect(mine.map((x) => x.firstRow)).toEqual(mine.map((_, i) => i * batchSize));
      }
    }
  });

  it('ends a batch early once its rows hold maxBatchBytes', async () => {
    const data = Buffer.from('5\n' + ['aaaa', 'b', 'cccccc', 'dd', 'e'].join('\n') + '\n');
    const batches: Batch[] = [];
    for await (const b of readBatches(chunks(data, []), { chunkHeader: true, batchSize: 100, maxBatchBytes: 5 })) batches.push(b);
    expect(batches.map((b) => b.rows.map(String))).toEqual([['aaaa', 'b'], ['cccccc'], ['dd', 'e']]);
    expect(batches.map((b) => b.firstRow)).toEqual([0, 2, 3]);
  });

  it('answers an empty block with an empty batch', async () => {
    const batches = await collect(Buffer.from('0\n1\nx\n'), [], true, 8);
    expect(batches.map((b) => [b.rows.map(String), b.endsBlock])).toEqual([[[], true], [['x'], true]]);
  });

  it('treats EOF as the end of the block without chunk headers', async () => {
    const batches = await collect(Buffer.from('a\nb\nc\n'), [1, 3], false, 2);
    expect(batches.map((b) => [b.rows.map(String), b.endsBlock])).toEqual([[['a', 'b'], false], [['c'], true]]);
  });

  it('reports stdin closed mid-block and a bad header clearly', async () => {
    await expect(collect(Buffer.from('3\na\n'), [], true, 8)).rejects.toThrow(FramingError);
    await expect(collect(Buffer.from('a photo\n'), [], true, 8)).rejects.toThrow(/expected a chunk header .* received "a photo"/);
  });
});

describe('Array(Float32) output', () => {
  it('prints floats that read back as the same Float32', () => {
    const random = rng(3);
    const buf = new Float32Array(1);
    const ints = new Uint32Array(buf.buffer);
    for (let n = 0; n < 100_000; n++) {
      ints[0] = Math.floor(random() * 2 ** 32);
      const v = buf[0];
      if (!Number.isFinite(v)) continue;
      expect(Math.fround(Number(formatFloat(v)))).toBe(v);
    }
  });

  it('reads back every Float32 bit pattern class: subnormal, tiny, huge, powers of ten', () => {
    const values = [1e-45, 1.4e-45, 1e-40, 1.1754942e-38, 1e-10, 1e-7, 1e-6, 0.001, 0.1, 0.5, 1, 9.999999, 10, 123456.79, 1e8, 3.4028235e38, -0.05, 2 ** -24, 1 - 2 ** -24];
    for (const x of values) {
      const v = Math.fround(x);
      expect(Math.fround(Number(formatFloat(v))), `${x}`).toBe(v);
      expect(Math.fround(Number(formatFloat(-v)))).toBe(-v);
    }
    // Every power of ten across the range, and its Float32 neighbours.
    for (let e = -45; e <= 38; e++) {
      const v = Math.fround(10 ** e);
      for (const w of [v, Math.fround(v * (1 + 2 ** -23)), Math.fround(v * (1 - 2 ** -24))]) {
        if (w !== 0 && Number.isFinite(w)) expect(Math.fround(Number(formatFloat(w))), `${w}`).toBe(w);
      }
    }
  });

  it('spells special values the way ClickHouse parses them', () => {
    expect(formatArray(new Float32Array([NaN, Infinity, -Infinity, -0, 0.25, 100, -3.5, 2 ** -30]))).toBe('[nan,inf,-inf,0,0.25,100,-3.5,9.31322575e-10]');
    expect(formatArray(new Float32Array(0))).toBe('[]');
  });
});

describe('serve', () => {
  it('logs failed rows in row order even when a later batch is answered first', async () => {
    // The first batch waits (as one waiting for the model does); the second fails at once.
    const encode: Encode = async (values) => {
      if (values[0]!.toString() === 'slow') {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return [{ error: 'first' }, new Float32Array([1])];
      }
      return values.map((v) => ({ error: v.toString() }));
    };
    const lines: string[] = [];
    const out = new PassThrough();
    const written: Buffer[] = [];
    out.on('data', (b: Buffer) => written.push(b));
    await serve(Readable.from([Buffer.from('4\nslow\nok\nsecond\nthird\n')]), out, encode, {
      name: 't', nullAnswer: '[]', onError: 'empty', log: (l) => lines.push(l), chunkHeader: true, batchSize: 2, maxBatchBytes: 1 << 20, inFlight: 2,
    });
    expect(Buffer.concat(written).toString()).toBe('[]\n[1]\n[]\n[]\n');
    expect(lines).toEqual(['t: block 1, row 1: first (answered [])', 't: block 1, row 3: second (answered [])', 't: block 1, row 4: third (answered [])']);
  });

  it('prints the vectors an encoder hands over early while the call still runs, in row order', async () => {
    const printedWhileRunning: string[][] = [];
    let running = false;
    // Rows finish out of order (as length-sorted runs do); a NULL and a failed row sit between.
    const encode: Encode = async (values, ready) => {
      running = true;
      const vectors = values.map((v) => new Float32Array([Number(v.toString())]));
      ready?.([3, 1], [vectors[3]!, vectors[1]!]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running = false;
      return [vectors[0]!, vectors[1]!, { error: 'bad' }, vectors[3]!];
    };
    const out = new PassThrough();
    const written: Buffer[] = [];
    out.on('data', (b: Buffer) => written.push(b));
    await serve(Readable.from([Buffer.from('5\n1\n2\n\\N\n3\n4\n')]), out, encode, {
      name: 't', nullAnswer: '[]', onError: 'empty', log: () => {}, chunkHeader: true, batchSize: 8, maxBatchBytes: 1 << 20, inFlight: 2,
      formatArrays: async (vectors) => {
        if (running) printedWhileRunning.push(vectors.map((v) => String(v[0])));
        return vectors.map((v) => Buffer.from(`[${v[0]}]\n`));
      },
    });
    expect(printedWhileRunning).toEqual([['4', '2']]);
    expect(Buffer.concat(written).toString()).toBe('[1]\n[2]\n[]\n[]\n[4]\n');
  });
});
