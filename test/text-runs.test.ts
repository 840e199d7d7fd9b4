// How encode_text cuts a call's rows (sorted by token count) into model runs.

import { describe, expect, it } from 'vitest';
import { runsOf } from '../src/encoders/text.ts';

const lengths = [3, 5, 5, 9, 20, 40, 77, 77, 77];
const rows = lengths.map((_, i) => i);
const cut = (maxRows: number, tokens: number) => runsOf(rows, (i) => lengths[i], maxRows, tokens);

describe('runsOf', () => {
  it('keeps every row once, in order, at most `rows` per run', () => {
    expect(cut(4, Infinity)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8]]);
    expect(cut(100, Infinity)).toEqual([rows]);
  });

  it('ends a run before its padded size (rows x longest) passes the token budget', () => {
    // 4 x 9 = 36 fits 40; adding the 20-token row would pad 5 rows to 100.
    expect(cut(32, 40)).toEqual([[0, 1, 2, 3], [4], [5], [6], [7], [8]]);
    expect(cut(32, 154)).toEqual([[0, 1, 2, 3, 4], [5, 6], [7, 8]]);
    for (const run of cut(32, 154)) expect(run.length * Math.max(...run.map((i) => lengths[i]))).toBeLessThanOrEqual(154);
  });

  it('runs a row longer than the budget alone rather than dropping it', () => {
    expect(cut(32, 10)).toEqual([[0, 1], [2], [3], [4], [5], [6], [7], [8]]);
    expect(runsOf([], () => 1, 4, 10)).toEqual([]);
  });
});
