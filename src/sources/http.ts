/**
 * http(s) URLs, only under the configured prefixes, with every limit a hostile or broken
 * server could otherwise exhaust: time (connect, idle, total), bytes (Content-Length up
 * front and counted while streaming), redirects (counted, each re-checked against the
 * prefixes) and addresses (checked on the address actually connected to).
 */
import http from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { parseIp, refuseAddress } from './address.ts';
import { SourceError, formatBytes, quote } from './errors.ts';
import { guardedLookup } from './lookup.ts';
import type { SourcePolicy } from './policy.ts';
import { matchesPrefix, prefixesOf } from './url-prefix.ts';
import type { UrlPrefix } from './url-prefix.ts';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Messages name the argument as typed, and where a redirect led when it matters. */
function label(arg: string, current: URL, hop: number): string {
  return hop === 0 ? quote(arg) : `${quote(arg)} (redirected to ${quote(current.href)})`;
}

function parseUrl(arg: string): URL {
  try {
    return new URL(arg);
  } catch {
    throw new SourceError(`${quote(arg)} is not a valid URL`, 'invalid');
  }
}

/** Scheme, credentials and prefix: everything decidable before any network traffic. */
function checkUrl(arg: string, url: URL, prefixes: readonly UrlPrefix[], hop: number): void {
  const where = label(arg, url, hop);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SourceError(`${where}: unsupported scheme '${url.protocol}'; expected http: or https:`, 'invalid');
  }
  if (url.username !== '' || url.password !== '') {
    throw new SourceError(`${where}: URLs with user:password@ are not accepted`, 'invalid');
  }
  if (!prefixes.some((p) => matchesPrefix(url, p))) {
    throw new SourceError(`${where} is outside the allowed URL prefixes (${prefixes.map((p) => p.raw).join(', ')})`, 'outside');
  }
}

function networkReason(e: NodeJS.ErrnoException): string {
  const code = e.code ?? '';
  switch (code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ECONNRESET': return 'connection reset by the server';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME': return 'host not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH': return 'host unreachable';
    case 'ETIMEDOUT': return 'connection timed out';
    case 'EPIPE': return 'connection closed by the server';
  }
  if (code.startsWith('HPE_')) return `invalid HTTP response (${code})`;
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SIGNATURE|SELF_SIGNED/.test(code)) return `TLS error (${code})`;
  return code !== '' ? code : e.message.split('\n')[0]!;
}

interface Limits {
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  totalTimeoutMs: number;
  /** Date.now() past which the whole fetch (all hops) has timed out. */
  deadline: number;
  maxBytes: number;
}

type Hop = { redirect: string } | { body: Buffer };

function fetchOnce(url: URL, where: string, prefixHosts: readonly string[], limits: Limits, policy: SourcePolicy): Promise<Hop> {
  return new Promise<Hop>((resolve, reject) => {
    const timers: NodeJS.Timeout[] = [];
    let req: ClientRequest | undefined;
    let settled = false;
    const finish = (err: SourceError | null, value?: Hop): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      if (err !== null) {
        req?.destroy();
        reject(err);
      } else {
        resolve(value!);
      }
    };
    const timeout = (ms: number, kind: string): SourceError =>
      new SourceError(`${where} timed out after ${ms} ms (${kind})`, 'timeout');

    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    // A literal IP never goes through `lookup`, so it is checked here (and on connect).
    if (parseIp(host) !== null) {
      const refusal = refuseAddress(host, prefixHosts);
      if (refusal !== null) return finish(new SourceError(`${where}: ${refusal}`, 'blocked-address'));
    }

    const mod = url.protocol === 'https:' ? https : http;
    req = mod.request({
      protocol: url.protocol,
      hostname: host,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: { 'user-agent': 'clickhouse-clip', accept: 'image/*', 'accept-encoding': 'identity' },
      // A fresh connection per request: a pooled socket would skip our lookup and checks.
      agent: false,
      lookup: guardedLookup(prefixHosts, policy.resolve),
    });

    timers.push(setTimeout(() => finish(timeout(limits.totalTimeoutMs, 'total')), Math.max(0, limits.deadline - Date.now())));
    const connectTimer = setTimeout(() => finish(timeout(limits.connectTimeoutMs, 'connect')), limits.connectTimeoutMs);
    timers.push(connectTimer);
    req.setTimeout(limits.idleTimeoutMs, () => finish(timeout(limits.idleTimeoutMs, 'idle')));

    req.on('socket', (socket: Socket) => {
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
        clearTimeout(connectTimer);
        // Belt and braces: whatever path led here, the peer must be an allowed address.
        const peer = socket.remoteAddress;
        const refusal = peer === undefined ? 'the connection has no peer address' : refuseAddress(peer, prefixHosts);
        if (refusal !== null) finish(new SourceError(`${where}: ${refusal}`, 'blocked-address'));
      });
    });

    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e instanceof SourceError) finish(new SourceError(`${where}: ${e.message}`, e.code, { cause: e }));
      else finish(new SourceError(`${where}: ${networkReason(e)}`, 'network', { cause: e }));
    });

    req.on('response', (res: IncomingMessage) => onResponse(res, where, limits, finish));
    req.end();
  });
}

function onResponse(
  res: IncomingMessage, where: string, limits: Limits, finish: (err: SourceError | null, value?: Hop) => void,
): void {
  const status = res.statusCode ?? 0;
  if (REDIRECTS.has(status)) {
    const location = res.headers.location;
    res.destroy();
    if (location === undefined || location === '') {
      return finish(new SourceError(`${where}: answered HTTP ${status} without a Location header`, 'http'));
    }
    return finish(null, { redirect: location });
  }
  if (status < 200 || status > 299) {
    res.destroy();
    const text = (res.statusMessage ?? '').replace(/[^\x20-\x7e]/g, '').slice(0, 60);
    return finish(new SourceError(`${where}: answered HTTP ${status}${text ? ` ${text}` : ''}; expected 200`, 'http'));
  }
  const encoding = (res.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding !== 'identity') {
    res.destroy();
    return finish(new SourceError(`${where}: answered with Content-Encoding '${encoding.slice(0, 40)}'; expected the raw bytes (identity)`, 'http'));
  }
  const declared = res.headers['content-length'];
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limits.maxBytes) {
    res.destroy();
    return finish(new SourceError(`${where} is larger than the ${formatBytes(limits.maxBytes)} limit (Content-Length: ${declared})`, 'too-large'));
  }
  const chunks: Buffer[] = [];
  let total = 0;
  res.on('data', (chunk: Buffer) => {
    total += chunk.length;
    if (total > limits.maxBytes) {
      res.destroy();
      finish(new SourceError(`${where} is larger than the ${formatBytes(limits.maxBytes)} limit`, 'too-large'));
      return;
    }
    chunks.push(chunk);
  });
  res.on('end', () => {
    if (!res.complete) return finish(new SourceError(`${where}: the connection closed before the body was complete`, 'network'));
    finish(null, { body: Buffer.concat(chunks, total) });
  });
  res.on('error', (e: NodeJS.ErrnoException) => finish(new SourceError(`${where}: ${e.message === 'aborted' ? 'the connection closed before the body was complete' : networkReason(e)}`, 'network', { cause: e })));
  res.on('close', () => {
    if (!res.complete) finish(new SourceError(`${where}: the connection closed before the body was complete`, 'network'));
  });
}

/** Fetches an http(s) URL under `policy`; `arg` is the argument as typed. */
export async function readHttpSource(arg: string, policy: SourcePolicy): Promise<Buffer> {
  if (policy.allowUrls.length === 0) {
    throw new SourceError('URLs are not allowed: the installer was not given --allow-url', 'not-allowed');
  }
  const prefixes = prefixesOf(policy.allowUrls);
  const prefixHosts = prefixes.map((p) => p.hostname);
  const limits: Limits = {
    connectTimeoutMs: policy.connectTimeoutMs,
    idleTimeoutMs: policy.idleTimeoutMs,
    totalTimeoutMs: policy.totalTimeoutMs,
    deadline: Date.now() + policy.totalTimeoutMs,
    maxBytes: policy.maxBytes,
  };
  let url = parseUrl(arg);
  for (let hop = 0; ; hop++) {
    checkUrl(arg, url, prefixes, hop);
    const result = await fetchOnce(url, label(arg, url, hop), prefixHosts, limits, policy);
    if ('body' in result) return result.body;
    if (hop >= policy.maxRedirects) {
      throw new SourceError(`${quote(arg)}: too many redirects (more than ${policy.maxRedirects})`, 'http');
    }
    let next: URL;
    try {
      next = new URL(result.redirect, url);
    } catch {
      throw new SourceError(`${label(arg, url, hop)}: redirected to an invalid URL`, 'http');
    }
    url = next;
  }
}
