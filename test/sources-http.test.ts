// URLs against local servers: prefixes, redirects, addresses, timeouts and byte caps.
// Everything is bounded: short timeouts in the policies, and a vitest timeout per test.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceError } from '../src/sources/errors.ts';
import type { SourceErrorCode } from '../src/sources/errors.ts';
import { guardedLookup } from '../src/sources/lookup.ts';
import { defaultPolicy } from '../src/sources/policy.ts';
import type { Resolver, SourcePolicy } from '../src/sources/policy.ts';
import { readSource, readSources } from '../src/sources/read.ts';

const IMG = Buffer.from('not really an image, but bytes');
let main: Server; // 127.0.0.1
let other: Server; // 127.0.0.2
let port = 0;
let otherPort = 0;
let base = '';
let inFlight = 0;
let peak = 0;
const closedEarly: string[] = [];

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const p = url.pathname;
  res.on('close', () => {
    if (!res.writableFinished) closedEarly.push(p);
  });
  if (p === '/ok/img.bin' || p === '/secret/img.bin' || p === '/x') {
    res.writeHead(200, { 'content-length': IMG.length, 'content-type': 'image/jpeg' }).end(IMG);
  } else if (p === '/ok/redirect-inside') {
    res.writeHead(302, { location: '/ok/img.bin' }).end();
  } else if (p === '/ok/redirect-outside') {
    res.writeHead(301, { location: '/secret/img.bin' }).end();
  } else if (p === '/ok/redirect-dotdot') {
    res.writeHead(302, { location: '/ok/../secret/img.bin' }).end();
  } else if (p === '/ok/redirect-other-host') {
    res.writeHead(307, { location: `http://127.0.0.2:${otherPort}/x` }).end();
  } else if (p === '/ok/redirect-named-loopback') {
    res.writeHead(302, { location: `http://other.test:${otherPort}/x` }).end();
  } else if (p === '/ok/redirect-ftp') {
    res.writeHead(302, { location: 'ftp://127.0.0.1/x' }).end();
  } else if (p === '/ok/redirect-nowhere') {
    res.writeHead(302).end();
  } else if (p.startsWith('/ok/loop/')) {
    const n = Number(p.slice('/ok/loop/'.length));
    res.writeHead(302, { location: n === 0 ? '/ok/img.bin' : `/ok/loop/${n - 1}` }).end();
  } else if (p === '/ok/stall-headers') {
    // never answers
  } else if (p === '/ok/stall-body') {
    res.writeHead(200, { 'content-length': 1000 });
    res.write(Buffer.alloc(10));
  } else if (p === '/ok/slow-body') {
    res.writeHead(200);
    res.write('a');
    setTimeout(() => res.end('b'), 300);
  } else if (p === '/ok/trickle') {
    res.writeHead(200);
    const t = setInterval(() => res.write('x'), 20);
    res.on('close', () => clearInterval(t));
  } else if (p === '/ok/huge-declared') {
    res.writeHead(200, { 'content-length': 10 * 1024 * 1024 });
    res.write(Buffer.alloc(100));
  } else if (p === '/ok/huge-chunked') {
    res.writeHead(200); // no Content-Length: chunked
    const chunk = Buffer.alloc(64 * 1024);
    const t = setInterval(() => res.write(chunk), 1);
    res.on('close', () => clearInterval(t));
  } else if (p === '/ok/missing') {
    res.writeHead(404).end('not found page');
  } else if (p === '/ok/gzip') {
    res.writeHead(200, { 'content-encoding': 'gzip' }).end(Buffer.from([0x1f, 0x8b]));
  } else if (p === '/ok/short') {
    res.writeHead(200, { 'content-length': 100 });
    res.write(Buffer.alloc(10), () => res.destroy());
  } else if (p === '/ok/slow-ok') {
    inFlight++;
    peak = Math.max(peak, inFlight);
    setTimeout(() => {
      inFlight--;
      res.writeHead(200, { 'content-length': IMG.length }).end(IMG);
    }, 60);
  } else {
    res.writeHead(500).end();
  }
}

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

beforeAll(async () => {
  main = http.createServer(route);
  other = http.createServer(route);
  port = await listen(main, '127.0.0.1');
  otherPort = await listen(other, '127.0.0.2');
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const s of [main, other]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function policyFor(overrides: Partial<SourcePolicy> = {}): SourcePolicy {
  return defaultPolicy({
    allowDirs: [],
    allowUrls: [`${base}/ok/`],
    maxBytes: 1024,
    connectTimeoutMs: 2000,
    idleTimeoutMs: 2000,
    totalTimeoutMs: 4000,
    ...overrides,
  });
}

/** Names resolved without DNS, as a hostile or rebinding DNS server would answer. */
function resolverOf(table: Record<string, string[]>): Resolver {
  return async (host) => {
    const addrs = table[host];
    if (addrs === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addrs.map((address) => ({ address, family: address.includes(':') ? 6 as const : 4 as const }));
  };
}

async function refused(arg: string, policy: SourcePolicy, code: SourceErrorCode, message: string | RegExp): Promise<SourceError> {
  const e = await readSource(arg, policy).then(() => null, (err: unknown) => err);
  if (!(e instanceof SourceError)) throw new Error(`expected a SourceError, got ${String(e)}`);
  expect(e.message).not.toContain('\n');
  expect(e.message).not.toContain('not found page'); // never the body
  if (typeof message === 'string') expect(e.message).toBe(message);
  else expect(e.message).toMatch(message);
  expect(e.code).toBe(code);
  return e;
}

describe('prefixes', () => {
  it('a URL under an allowed prefix that names 127.0.0.1 is fetched', async () => {
    expect(await readSource(`${base}/ok/img.bin`, policyFor())).toEqual(IMG);
    expect(await readSource(`${base}/ok/img.bin?size=large#frag`, policyFor())).toEqual(IMG);
  });

  it('other paths, hosts, ports and schemes are refused before connecting', async () => {
    const p = policyFor();
    const list = `(${base}/ok/)`;
    await refused(`${base}/secret/img.bin`, p, 'outside', `'${base}/secret/img.bin' is outside the allowed URL prefixes ${list}`);
    await refused(`${base}/ok/../secret/img.bin`, p, 'outside', /is outside the allowed URL prefixes/);
    await refused(`http://localhost:${port}/ok/img.bin`, p, 'outside', /is outside/);
    await refused(`http://127.0.0.1:${port + 1}/ok/img.bin`, p, 'outside', /is outside/);
    await refused(`https://127.0.0.1:${port}/ok/img.bin`, p, 'outside', /is outside/);
    await refused(`http://127.0.0.1:${port}@127.0.0.2:${otherPort}/ok/img.bin`, p, 'invalid', /user:password@ are not accepted/);
  });

  it('no prefixes: no URLs', async () => {
    await refused(`${base}/ok/img.bin`, policyFor({ allowUrls: [] }), 'not-allowed', 'URLs are not allowed: the installer was not given --allow-url');
  });
});

describe('addresses', () => {
  it('a name that resolves to loopback is refused when no prefix names the address', async () => {
    const p = policyFor({ allowUrls: [`http://img.test:${port}/`], resolve: resolverOf({ 'img.test': ['127.0.0.1'] }) });
    await refused(`http://img.test:${port}/ok/img.bin`, p, 'blocked-address',
      `'http://img.test:${port}/ok/img.bin': address 127.0.0.1 is loopback and no allowed prefix names this host`);
  });

  it('the metadata address and private ranges behind a name', async () => {
    const p = policyFor({ allowUrls: ['http://cdn.test/'], resolve: resolverOf({ 'cdn.test': ['169.254.169.254', '10.0.0.5'] }) });
    await refused('http://cdn.test/x.jpg', p, 'blocked-address', /address 169\.254\.169\.254 is the cloud metadata service/);
    const q = policyFor({ allowUrls: ['http://cdn.test/'], resolve: resolverOf({ 'cdn.test': ['::ffff:10.0.0.5'] }) });
    await refused('http://cdn.test/x.jpg', q, 'blocked-address', /address \[::ffff:10\.0\.0\.5\] is private/);
  });

  it('blocked answers are dropped and an allowed one is used (rebinding-style mixed answers)', async () => {
    const p = policyFor({
      allowUrls: [`${base}/ok/`, `http://img.test:${port}/ok/`],
      resolve: resolverOf({ 'img.test': ['10.0.0.5', '127.0.0.1'] }),
    });
    expect(await readSource(`http://img.test:${port}/ok/img.bin`, p)).toEqual(IMG);
  });

  it('the lookup answers in both shapes http.request may ask for', async () => {
    const lookup = guardedLookup(['127.0.0.1'], resolverOf({ a: ['10.0.0.1', '127.0.0.1', '::1'] }));
    const all = await new Promise((resolve, reject) => lookup('a', { all: true }, (e, addrs) => (e ? reject(e) : resolve(addrs))));
    expect(all).toEqual([{ address: '127.0.0.1', family: 4 }]);
    const one = await new Promise((resolve, reject) => lookup('a', {}, (e, addr, fam) => (e ? reject(e) : resolve([addr, fam]))));
    expect(one).toEqual(['127.0.0.1', 4]);
    const v6 = await new Promise((resolve) => lookup('a', { family: 6 }, (e) => resolve(e)));
    expect((v6 as SourceError).message).toBe('address [::1] is loopback and no allowed prefix names this host');
  });

  it('an unknown host', async () => {
    const p = policyFor({ allowUrls: ['http://nowhere.test/'], resolve: resolverOf({}) });
    await refused('http://nowhere.test/x.jpg', p, 'network', "'http://nowhere.test/x.jpg': host not found");
  });

  it('connection refused', async () => {
    const closed = http.createServer();
    const closedPort = await listen(closed, '127.0.0.1');
    await new Promise((r) => closed.close(r));
    const p = policyFor({ allowUrls: [`http://127.0.0.1:${closedPort}/`] });
    await refused(`http://127.0.0.1:${closedPort}/x`, p, 'network', /: connection refused$/);
  });
});

describe('redirects', () => {
  it('inside the prefix: followed', async () => {
    expect(await readSource(`${base}/ok/redirect-inside`, policyFor())).toEqual(IMG);
    expect(await readSource(`${base}/ok/loop/2`, policyFor())).toEqual(IMG); // 3 redirects: the limit
  });

  it('outside the prefix: refused, naming where it led', async () => {
    await refused(`${base}/ok/redirect-outside`, policyFor(), 'outside',
      `'${base}/ok/redirect-outside' (redirected to '${base}/secret/img.bin') is outside the allowed URL prefixes (${base}/ok/)`);
    await refused(`${base}/ok/redirect-dotdot`, policyFor(), 'outside', /redirected to '.*\/secret\/img\.bin'\) is outside/);
  });

  it('to another host: refused by prefix, and by address when a prefix names it but it resolves to loopback', async () => {
    await refused(`${base}/ok/redirect-other-host`, policyFor(), 'outside', /redirected to 'http:\/\/127\.0\.0\.2:\d+\/x'\) is outside/);
    const p = policyFor({
      allowUrls: [`${base}/ok/`, `http://other.test:${otherPort}/`],
      resolve: resolverOf({ 'other.test': ['127.0.0.2'] }),
    });
    await refused(`${base}/ok/redirect-named-loopback`, p, 'blocked-address',
      /\(redirected to 'http:\/\/other\.test:\d+\/x'\): address 127\.0\.0\.2 is loopback and no allowed prefix names this host$/);
    // Naming the address itself opens it.
    const q = policyFor({ allowUrls: [`${base}/ok/`, `http://127.0.0.2:${otherPort}/`] });
    expect(await readSource(`${base}/ok/redirect-other-host`, q)).toEqual(IMG);
  });

  it('too many', async () => {
    await refused(`${base}/ok/loop/3`, policyFor(), 'http', `'${base}/ok/loop/3': too many redirects (more than 3)`);
    await refused(`${base}/ok/redirect-inside`, policyFor({ maxRedirects: 0 }), 'http', /too many redirects \(more than 0\)/);
  });

  it('to another scheme, or nowhere', async () => {
    await refused(`${base}/ok/redirect-ftp`, policyFor(), 'invalid', /redirected to 'ftp:\/\/127\.0\.0\.1\/x'\): unsupported scheme 'ftp:'/);
    await refused(`${base}/ok/redirect-nowhere`, policyFor(), 'http', /answered HTTP 302 without a Location header/);
  });
});

describe('timeouts', () => {
  it('connect (DNS included)', async () => {
    const never: Resolver = () => new Promise(() => undefined);
    const p = policyFor({ allowUrls: ['http://slow.test/'], resolve: never, connectTimeoutMs: 150 });
    const t0 = Date.now();
    await refused('http://slow.test/x', p, 'timeout', "'http://slow.test/x' timed out after 150 ms (connect)");
    expect(Date.now() - t0).toBeLessThan(1000);
  }, 5000);

  it('the connect timeout ends at connect: a slower body still arrives', async () => {
    expect((await readSource(`${base}/ok/slow-body`, policyFor({ connectTimeoutMs: 100, idleTimeoutMs: 1000 }))).toString()).toBe('ab');
  }, 5000);

  it('idle: no headers', async () => {
    const t0 = Date.now();
    await refused(`${base}/ok/stall-headers`, policyFor({ idleTimeoutMs: 150 }), 'timeout', `'${base}/ok/stall-headers' timed out after 150 ms (idle)`);
    expect(Date.now() - t0).toBeLessThan(1000);
  }, 5000);

  it('idle: the body stops', async () => {
    await refused(`${base}/ok/stall-body`, policyFor({ idleTimeoutMs: 150 }), 'timeout', /timed out after 150 ms \(idle\)$/);
  }, 5000);

  it('total: a body that never stalls but never ends', async () => {
    const t0 = Date.now();
    await refused(`${base}/ok/trickle`, policyFor({ idleTimeoutMs: 1000, totalTimeoutMs: 300, maxBytes: 1024 * 1024 }), 'timeout',
      `'${base}/ok/trickle' timed out after 300 ms (total)`);
    expect(Date.now() - t0).toBeLessThan(1500);
  }, 5000);
});

describe('byte cap', () => {
  it('Content-Length over the cap: refused up front', async () => {
    await refused(`${base}/ok/huge-declared`, policyFor(), 'too-large',
      `'${base}/ok/huge-declared' is larger than the 1 KiB limit (Content-Length: 10485760)`);
  }, 5000);

  it('no Content-Length: counted while streaming, connection dropped', async () => {
    const t0 = Date.now();
    await refused(`${base}/ok/huge-chunked`, policyFor({ maxBytes: 100 * 1024 }), 'too-large', `'${base}/ok/huge-chunked' is larger than the 100 KiB limit`);
    expect(Date.now() - t0).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 50));
    expect(closedEarly).toContain('/ok/huge-chunked');
  }, 5000);

  it('a body cut short', async () => {
    await refused(`${base}/ok/short`, policyFor(), 'network', /closed before the body was complete/);
  }, 5000);
});

describe('answers', () => {
  it('non-2xx, without the body', async () => {
    await refused(`${base}/ok/missing`, policyFor(), 'http', `'${base}/ok/missing': answered HTTP 404 Not Found; expected 200`);
  });

  it('a compressed body', async () => {
    await refused(`${base}/ok/gzip`, policyFor(), 'http', /answered with Content-Encoding 'gzip'; expected the raw bytes/);
  });
});

describe('batches', () => {
  it('fetch concurrently, bounded', async () => {
    peak = 0;
    const args = Array.from({ length: 6 }, (_, i) => `${base}/ok/slow-ok?i=${i}`);
    const out = await readSources([...args, `${base}/secret/img.bin`], policyFor(), { concurrency: 2 });
    expect(out.slice(0, 6)).toEqual(Array(6).fill(IMG));
    expect((out[6] as SourceError).code).toBe('outside');
    expect(peak).toBe(2);
  }, 10000);
});

describe('https', () => {
  let dir = '';
  let tls: https.Server | undefined;
  let tlsPort = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clip-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    } catch {
      return; // no openssl: the test below is skipped
    }
    tls = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, route);
    tlsPort = await listen(tls, '127.0.0.1');
  });
  afterAll(async () => {
    if (tls) {
      tls.closeAllConnections();
      await new Promise((r) => tls!.close(r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('an untrusted certificate is a clear TLS error', async (ctx) => {
    if (!tls) ctx.skip();
    const p = policyFor({ allowUrls: [`https://127.0.0.1:${tlsPort}/ok/`] });
    await refused(`https://127.0.0.1:${tlsPort}/ok/img.bin`, p, 'network', /: TLS error \([A-Z_]+\)$/);
  });
});
