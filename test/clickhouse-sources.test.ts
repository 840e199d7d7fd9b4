// Issue "image sources, bad input and safety", through embedded ClickHouse: a
// corpus of bad sources interleaved with good rows. Every row gets exactly one
// answer, in order; good rows keep their exact vectors; bad rows get [] and
// encode_image_check says why.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FIXTURE_DIR } from './fixtures/images/fixtures.ts';
import { install, openClickHouse, sqlString, tempDir, type Installed } from './helpers.ts';

const modelDir = inject('modelDir');
const GOOD = join(FIXTURE_DIR, 'jpeg_1000x600.jpg');
let installed: Installed;
let ch: Session;
let server: Server;
let base: string;
let outside: string;

/** A valid 1x1 PNG whose header claims 30000 x 30000 pixels. */
function pngBomb(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    return Buffer.concat([len, Buffer.from(type), data, Buffer.alloc(4)]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(30000, 0);
  ihdr.writeUInt32BE(30000, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(4))), chunk('IEND', Buffer.alloc(0))]);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/ok/cat.jpg') return res.end(readFileSync(GOOD));
    if (url === '/ok/redirect-inside') return res.writeHead(302, { location: '/ok/cat.jpg' }).end();
    if (url === '/ok/redirect-outside') return res.writeHead(302, { location: '/private/cat.jpg' }).end();
    if (url === '/ok/slow') return void res.writeHead(200, { 'content-type': 'image/jpeg' }); // never ends
    if (url === '/ok/huge') {
      res.writeHead(200);
      const chunk = Buffer.alloc(1 << 20);
      let sent = 0;
      const pump = () => {
        while (sent < 64 && res.write(chunk)) sent++;
        if (sent < 64) res.once('drain', pump);
        else res.end();
      };
      res.on('error', () => {});
      return pump();
    }
    if (url === '/private/cat.jpg') return res.end(readFileSync(GOOD));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  installed = await install([
    ...['--model-dir', modelDir, '--pool-size', '2', '--threads', '1', '--batch-size', '4'],
    ...['--allow-url', `${base}/ok/`, '--max-bytes', String(8 << 20), '--image-timeout-ms', '3000'],
  ]);
  ch = openClickHouse(installed);

  const u = installed.userFilesDir;
  outside = tempDir('outside');
  copyFileSync(GOOD, join(u, 'good.jpg'));
  copyFileSync(GOOD, join(outside, 'secret.jpg'));
  copyFileSync(join(FIXTURE_DIR, 'png_rgb.png'), join(u, 'really-a-png.jpg'));
  writeFileSync(join(u, 'empty.jpg'), '');
  writeFileSync(join(u, 'truncated.jpg'), readFileSync(GOOD).subarray(0, 2000));
  writeFileSync(join(u, 'bomb.png'), pngBomb());
  writeFileSync(join(u, 'evil.svg'), '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="file:///etc/passwd"/></svg>');
  writeFileSync(join(u, 'doc.pdf'), '%PDF-1.4\n1 0 obj<<>>endobj\n');
  mkdirSync(join(u, 'a-directory'));
  symlinkSync(join(outside, 'secret.jpg'), join(u, 'escape.jpg'));
  symlinkSync('/dev/zero', join(u, 'zero.jpg'));
  symlinkSync(join(u, 'good.jpg'), join(u, 'inside-link.jpg'));
  execFileSync('mkfifo', [join(u, 'fifo.jpg')]);
}, 300_000);

afterAll(() => {
  ch?.close();
  server?.close();
});

async function rows(sql: string): Promise<unknown[][]> {
  // Async: the local HTTP server in this process must keep answering while ClickHouse runs.
  const result = await ch.queryAsync(sql, { format: 'JSONCompactEachRow' });
  return result.text().trim().split('\n').map((l) => JSON.parse(l) as unknown[]);
}

describe('encode_image on bad sources, interleaved with good rows', () => {
  it('answers every row in order: good rows exactly, bad rows [] with the reason from encode_image_check', async () => {
    const u = installed.userFilesDir;
    const cases: Array<[source: string, reason: RegExp | null]> = [
      [join(u, 'good.jpg'), null],
      [join(u, 'missing.jpg'), /does not exist/],
      [join(u, 'a-directory'), /not a regular file/],
      ['/dev/zero', /outside the allowed directories/],
      [join(u, 'zero.jpg'), /outside the allowed directories/],
      [join(u, 'fifo.jpg'), /not a regular file/],
      [join(u, 'empty.jpg'), /empty|0 bytes|expected a JPEG/],
      [join(u, 'truncated.jpg'), /JPEG|truncated|premature/i],
      [join(u, 'really-a-png.jpg'), null],
      [join(u, 'evil.svg'), /SVG/],
      [join(u, 'doc.pdf'), /PDF/],
      [join(u, 'bomb.png'), /30000/],
      [join(outside, 'secret.jpg'), /outside the allowed directories/],
      [join(u, 'escape.jpg'), /outside the allowed directories/],
      [`${u}/../../${outside.split('/').slice(-1)[0]}/secret.jpg`, /outside the allowed directories|does not exist/],
      [join(u, 'inside-link.jpg'), null],
      ['good.jpg', null], // relative: resolved against user_files, as file() does
      [`file://${join(u, 'good.jpg')}`, null],
      [`${base}/ok/cat.jpg`, null],
      [`${base}/ok/redirect-inside`, null],
      [`${base}/ok/redirect-outside`, /redirect|allowed/i],
      [`${base}/private/cat.jpg`, /outside the allowed URL prefixes/],
      ['http://169.254.169.254/latest/meta-data/', /outside the allowed URL prefixes/],
      [`${base}/ok/slow`, /timed out/],
      [`${base}/ok/huge`, /larger than|limit/],
      ['ftp://example.com/cat.jpg', /unsupported scheme/],
    ];
    const list = cases.map(([s]) => sqlString(s)).join(',');
    const out = await rows(`SELECT s, encode_image(s), encode_image_check(s) FROM (SELECT arrayJoin([${list}]) AS s)`);
    expect(out.map((r) => r[0])).toEqual(cases.map(([s]) => s));
    const [goodVector] = (await rows(`SELECT encode_image(${sqlString(join(u, 'good.jpg'))})`))[0] as [number[]];
    expect(goodVector).toHaveLength(512);
    cases.forEach(([source, reason], i) => {
      const [, vector, check] = out[i] as [string, number[], string];
      if (reason === null) {
        expect(check, source).toBe('');
        if (!source.includes('really-a-png')) expect(vector, source).toEqual(goodVector);
        else expect(vector, source).toHaveLength(512);
      } else {
        expect(vector, source).toEqual([]);
        expect(check, source).toMatch(reason);
      }
    });
  });

  it('answers NULL rows with [] (or \'\' for the check) in every function', async () => {
    const out = await rows(
      `SELECT encode_text(t), encode_image(t), encode_image_bytes(t), encode_image_check(t) FROM (SELECT arrayJoin([NULL, 'a photo of a cat']) AS t)`,
    );
    expect(out[0]).toEqual([[], [], [], '']);
    expect((out[1][0] as number[]).length).toBe(512);
  });

  it('encode_image_bytes takes the file itself, e.g. from file(..., RawBLOB), and gives the same vector', async () => {
    const name = 'good.jpg';
    const [[fromPath]] = (await rows(`SELECT encode_image(${sqlString(join(installed.userFilesDir, name))})`)) as [[number[]]];
    const [[fromBytes]] = (await rows(`SELECT encode_image_bytes(raw) FROM file(${sqlString(GOOD)}, 'RawBLOB', 'raw String')`)) as [[number[]]];
    expect(fromBytes).toEqual(fromPath);
    const [[bad, check]] = (await rows(`SELECT encode_image_bytes('not an image'), encode_image_check('${'x'.repeat(10)}')`)) as [[number[], string]];
    expect(bad).toEqual([]);
    expect(check).toMatch(/does not exist/);
  });
});
