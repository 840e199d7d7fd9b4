// Issue "fidelity": through ClickHouse, encode_text equals the text tower run
// directly on the token ids OpenAI's own tokenizer gives, for every string of
// the reference corpus (HTML entities, mojibake, curly quotes, emoji, CJK, long).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT, cosine, install, openClickHouse, sqlString } from './helpers.ts';
import { referenceText } from './reference.ts';

const modelDir = inject('modelDir');
const corpus = readFileSync(join(ROOT, 'test/fixtures/tokenizer/openai-clip-tokens.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { text: string; ids: number[] });

let ch: Session;
beforeAll(async () => {
  ch = openClickHouse(await install(['--model-dir', modelDir, '--pool-size', '1', '--threads', '2']));
});
afterAll(() => ch?.close());

describe('encode_text matches the reference tokenizer through ClickHouse', () => {
  it(`gives the reference vector for all ${corpus.length} corpus strings`, async () => {
    const rows = ch
      .query(`SELECT t, encode_text(t) FROM (SELECT arrayJoin([${corpus.map((c) => sqlString(c.text)).join(',')}]) AS t)`, 'JSONCompactEachRow')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as [string, number[]]);
    expect(rows.map(([t]) => t)).toEqual(corpus.map((c) => c.text));
    const refs = await referenceText(modelDir, corpus.map((c) => c.ids));
    const bad = rows.flatMap(([t, v], i) => (cosine(v, refs[i]) >= 0.99999 ? [] : [t]));
    expect(bad).toEqual([]);
  });

  it('handles invalid UTF-8 from ClickHouse without losing the row', () => {
    const out = ch.query("SELECT length(encode_text(unhex('C328FFFE41'))), length(encode_text('ok'))", 'TSV').trim();
    expect(out).toBe('512\t512');
  });
});
