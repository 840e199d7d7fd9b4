/**
 * What encode_image may read. The argument comes from any SQL user and the read runs as the
 * server's user, so everything is closed unless the installer opened it: files only under the
 * allowed directories (by default ClickHouse's user_files, as for its own file() function),
 * URLs only under explicitly configured prefixes.
 */
import { isAbsolute } from 'node:path';
import { parseUrlPrefix } from './url-prefix.ts';

/** One resolved address, as dns.lookup(host, { all: true }) gives them. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Host name -> addresses. The default is dns.lookup; tests inject names without real DNS. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface SourcePolicy {
  /**
   * Absolute directories files may be read from (after resolving symlinks). A relative
   * argument is resolved against the first one. Empty: no files at all.
   */
  allowDirs: string[];
  /**
   * URL prefixes (http:// or https://, scheme + host + port + path) that URLs must start
   * with, compared on the parsed URL. Empty: no URLs at all.
   */
  allowUrls: string[];
  /** Largest file or response body accepted, in bytes. */
  maxBytes: number;
  /** From the start of a request until the connection is up (DNS, TCP and TLS included). */
  connectTimeoutMs: number;
  /** For the whole fetch of one URL, redirects included. */
  totalTimeoutMs: number;
  /** Longest silence on an open connection (waiting for headers or for the next body bytes). */
  idleTimeoutMs: number;
  /** Redirects followed per URL; each must stay inside allowUrls. */
  maxRedirects: number;
  /** Overrides DNS resolution (tests). The address checks apply to what it returns. */
  resolve?: Resolver;
}

/** ClickHouse's stock user_files_path: where its file() function reads by default. */
export const DEFAULT_USER_FILES = '/var/lib/clickhouse/user_files';

export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 30_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_REDIRECTS = 3;
/** Rows of one batch read at the same time (mostly matters for URLs). */
export const DEFAULT_CONCURRENCY = 8;

export function defaultPolicy(overrides: Partial<SourcePolicy> = {}): SourcePolicy {
  const policy: SourcePolicy = {
    allowDirs: [DEFAULT_USER_FILES],
    allowUrls: [],
    maxBytes: DEFAULT_MAX_BYTES,
    connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    totalTimeoutMs: DEFAULT_TOTAL_TIMEOUT_MS,
    idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
    maxRedirects: DEFAULT_MAX_REDIRECTS,
    ...overrides,
  };
  validatePolicy(policy);
  return policy;
}

/**
 * Throws a plain Error naming the setting, what was expected and what was received: a bad
 * policy is an installation mistake, reported once at start-up rather than on every row.
 */
export function validatePolicy(p: SourcePolicy): void {
  for (const d of p.allowDirs) {
    if (typeof d !== 'string' || !isAbsolute(d) || d.includes('\0')) {
      throw new Error(`allowDirs: expected absolute directory paths but received ${JSON.stringify(d)}`);
    }
  }
  for (const u of p.allowUrls) parseUrlPrefix(u); // throws with the reason
  const positive = (name: keyof SourcePolicy, v: number, min: number): void => {
    if (!Number.isSafeInteger(v) || v < min) {
      throw new Error(`${name}: expected an integer >= ${min} but received ${String(v)}`);
    }
  };
  positive('maxBytes', p.maxBytes, 1);
  positive('connectTimeoutMs', p.connectTimeoutMs, 1);
  positive('totalTimeoutMs', p.totalTimeoutMs, 1);
  positive('idleTimeoutMs', p.idleTimeoutMs, 1);
  positive('maxRedirects', p.maxRedirects, 0);
}
