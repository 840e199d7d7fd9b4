// The real path: install.sh into temp folders, then SQL in embedded ClickHouse
// (chDB) against what it installed, with executable_pool definitions.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cosine, install, norm, openClickHouse, sqlString, type Installed } from './helpers.ts';
import { referenceText } from './reference.ts';

const modelDir = inject('modelDir');
let installed: Installed;
let ch: Session;

beforeAll(async () => {
  installed = await install(['--model-dir', modelDir, '--type', 'executable_pool', '--pool-size', '3', '--threads', '1']);
  ch = openClickHouse(installed);
});
afterAll(() => ch?.close());

const vectors = (sql: string): number[][] => ch.query(sql, 'JSONCompactEachRow').trim().split('\n').map((l) => JSON.parse(l)[0]);
const one = (sql: string): number[] => vectors(sql)[0];

describe('encode_text through ClickHouse (executable_pool)', () => {
  it('writes absolute paths and the chosen options into the definitions', () => {
    const xml = readFileSync(join(installed.configDir, 'clickhouse_clip_function.xml'), 'utf8');
    expect(xml).toContain(`<command>clickhouse-clip/encode_text --chunk-header --model-dir ${modelDir} --dtype fp32 --device cpu --threads 1</command>`);
    expect(xml).toContain(
      `<command>clickhouse-clip/encode_image --chunk-header --input bytes --model-dir ${modelDir} --dtype fp32 --device cpu --threads 1 --allow-dir ${installed.userFilesDir}</command>`,
    );
    expect(xml).toContain('<pool_size>3</pool_size>');
    expect(xml).toContain('<stderr_reaction>log_last</stderr_reaction>');
  });

  it('answers the same vector as the text ONNX model on the reference token ids', async () => {
    const v = one("SELECT encode_text('a photo of a cat')");
    const [ref] = await referenceText(modelDir, [[49406, 320, 1125, 539, 320, 2368, 49407]]);
    expect(v).toHaveLength(512);
    expect(norm(v)).toBeCloseTo(1, 5);
    expect(cosine(v, ref)).toBeGreaterThan(0.99999);
  });

  it('answers one correct array per row for 100000 rows', () => {
    const [count, ok, distinct, sameAsAlone] = ch
      .query(
        `WITH (SELECT encode_text('7')) AS seven
         SELECT count(), countIf(length(v) = 512 AND abs(L2Norm(v) - 1) < 1e-4), uniqExact(v), countIf(t = '7' AND v = seven)
         FROM (SELECT toString(number % 1000) AS t, encode_text(t) AS v FROM numbers(100000))`,
        'TSV',
      )
      .trim()
      .split('\t')
      .map(Number);
    expect([count, ok, distinct, sameAsAlone]).toEqual([100000, 100000, 1000, 100]);
  });

  it('round-trips awkward strings: the same text gives the same vector alone or in a big block', () => {
    const awkward = ['', ' padded  spaces ', 'tab\there', 'new\nline', 'cr\rlf\r\n', 'back\\slash\\', "single ' quote", 'double " quote', '\\N', 'nul\0byte', 'émoji 🐱 中文 한국어', '&amp; &quot;', 'x'.repeat(3000)];
    const alone = awkward.map((t) => one(`SELECT encode_text(${sqlString(t)})`));
    // These texts tokenize differently, so their vectors differ: a shifted row would show.
    expect(new Set(alone.map((v) => JSON.stringify(v))).size).toBe(awkward.length);
    const mixed = ch
      .query(`SELECT t, encode_text(t) FROM (SELECT arrayJoin(arrayConcat(arrayMap(i -> toString(i), range(2000)), [${awkward.map(sqlString).join(',')}])) AS t)`, 'JSONCompactEachRow')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as [string, number[]]);
    expect(mixed).toHaveLength(2000 + awkward.length);
    const inBlock = new Map(mixed.slice(2000));
    awkward.forEach((t, i) => expect(inBlock.get(t)).toEqual(alone[i]));
  });

  it('runs several pool processes at once and still answers every row correctly', () => {
    const expected = one("SELECT encode_text('3')");
    const [rows, correct] = ch
      .query(
        `SELECT count(), countIf(v = (SELECT encode_text('3'))) FROM (SELECT encode_text(toString(number % 10)) AS v FROM numbers_mt(30000) WHERE number % 10 = 3)
         SETTINGS max_threads = 3, max_block_size = 1000`,
        'TSV',
      )
      .trim()
      .split('\t')
      .map(Number);
    expect([rows, correct]).toEqual([3000, 3000]);
    expect(expected).toHaveLength(512);
    expect(poolProcesses().length).toBeGreaterThan(1);
  });

  it('recovers when pool processes are killed between queries', () => {
    const before = one("SELECT encode_text('recovery')");
    for (const pid of poolProcesses()) process.kill(pid, 'SIGKILL');
    // The next query may meet a dead process once ("Broken pipe"); the one after must work.
    try {
      ch.query("SELECT encode_text('recovery')", 'TSV');
    } catch {
      // expected at most once
    }
    expect(one("SELECT encode_text('recovery')")).toEqual(before);
  });
});

describe('a pool process killed mid-query', () => {
  it('fails that query with a clear message, and the following queries work', async () => {
    const expected = one("SELECT encode_text('after the crash')");
    const running = ch.queryAsync('SELECT sum(length(encode_text(toString(number)))) FROM numbers(200000) SETTINGS max_threads = 1');
    const failure = running.then(() => null, (err: Error) => err);
    await new Promise((r) => setTimeout(r, 1500));
    for (const pid of poolProcesses()) process.kill(pid, 'SIGKILL');
    const err = await failure;
    expect(err?.message).toMatch(/encode_text/);
    // ClickHouse's wording depends on the moment of the kill (exit status, broken pipe, or
    // a block cut short); it always names the function and fails only this query.
    expect(err?.message).toMatch(/UDF_EXECUTION_FAILED|Child process was exited|Broken pipe|Pipe/i);
    expect(one("SELECT encode_text('after the crash')")).toEqual(expected);
    expect(ch.query('SELECT count() FROM (SELECT encode_text(toString(number)) FROM numbers(1000))', 'TSV').trim()).toBe('1000');
  });
});

function poolProcesses(): number[] {
  const script = join(installed.scriptsDir, 'clickhouse-clip', 'encode_text.mjs');
  try {
    return execFileSync('pgrep', ['-f', script], { encoding: 'utf8' }).trim().split('\n').map(Number);
  } catch {
    return [];
  }
}
