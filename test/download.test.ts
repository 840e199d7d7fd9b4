// The model download through the hub's resolve URLs, against a local server
// that mimics the hub (including its redirect of large files to a CDN), then
// offline loading of what was downloaded.

import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cosine, install, openClickHouse } from './helpers.ts';
import { referenceText } from './reference.ts';

const modelDir = inject('modelDir');
let server: Server;
let hubUrl: string;
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    const hub = /^\/test-org\/clip-tiny\/resolve\/main\/(.+)$/.exec(url);
    if (hub && hub[1].endsWith('.onnx')) {
      res.writeHead(302, { location: `/cdn/${hub[1]}` });
      return res.end();
    }
    const file = hub?.[1] ?? /^\/cdn\/(.+)$/.exec(url)?.[1];
    const path = file && join(modelDir, file);
    if (!path || !existsSync(path)) {
      res.writeHead(404);
      return res.end('Entry not found');
    }
    res.writeHead(200, { 'content-length': statSync(path).size });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server?.close());

describe('install.sh --model NAME downloads from the hub', () => {
  it('downloads the transformers.js layout, then answers queries with the server gone', async () => {
    const installed = await install(['--model', 'test-org/clip-tiny', '--hub-url', hubUrl, '--threads', '1']);
    const downloaded = join(installed.scriptsDir, 'clickhouse-clip/models/test-org/clip-tiny');
    for (const file of ['config.json', 'tokenizer.json', 'preprocessor_config.json', 'onnx/text_model.onnx', 'onnx/vision_model.onnx']) {
      expect(readFileSync(join(downloaded, file)).equals(readFileSync(join(modelDir, file))), file).toBe(true);
    }
    expect(requests).toContain('/test-org/clip-tiny/resolve/main/onnx/text_model.onnx');
    expect(requests).toContain('/cdn/onnx/text_model.onnx');

    await new Promise((r) => server.close(r));
    const ch = openClickHouse(installed);
    try {
      const v = JSON.parse(ch.query("SELECT encode_text('a photo of a cat')", 'JSONCompactEachRow'))[0];
      const [ref] = await referenceText(modelDir, [[49406, 320, 1125, 539, 320, 2368, 49407]]);
      expect(cosine(v, ref)).toBeGreaterThan(0.99999);
    } finally {
      ch.close();
    }
  });

  it('says clearly when the model does not exist on the hub', async () => {
    const s = createServer((_, res) => res.writeHead(404).end()).listen(0, '127.0.0.1');
    await new Promise((r) => s.once('listening', r));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    await expect(install(['--model', 'nobody/nothing', '--hub-url', url])).rejects.toThrow(/answered 404.*config\.json/s);
    s.close();
  });
});
