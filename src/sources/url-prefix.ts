/**
 * URL prefixes compared on parsed, normalized URLs, never on strings: as strings,
 * 'http://allowed.com@evil.com/' and 'http://allowed.com.evil.com/' both start with
 * 'http://allowed.com'. The WHATWG parser also folds the many spellings of one host
 * (case, IDN, '0x7f.1' = 127.0.0.1, '[::ffff:127.0.0.1]') and resolves '.', '..' and their
 * percent-encoded forms in the path, so the comparison sees what the request will use.
 */

export interface UrlPrefix {
  /** As configured, for messages. */
  raw: string;
  protocol: 'http:' | 'https:';
  /** As URL.hostname gives it: lower case, IPv6 in brackets. */
  hostname: string;
  /** Explicit or default port, as a string. */
  port: string;
  /** Path that URLs must equal or continue below ('/' matches every path). */
  path: string;
}

export function effectivePort(u: URL): string {
  if (u.port !== '') return u.port;
  return u.protocol === 'https:' ? '443' : '80';
}

/** Throws a plain Error: a bad prefix is a configuration mistake. */
export function parseUrlPrefix(raw: string): UrlPrefix {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`allowUrls: expected an absolute http:// or https:// URL prefix but received ${JSON.stringify(raw)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(`allowUrls: expected an http:// or https:// prefix but received ${JSON.stringify(raw)} (scheme ${u.protocol})`);
  }
  if (u.username !== '' || u.password !== '') {
    throw new Error(`allowUrls: expected a prefix without user:password@ but received ${JSON.stringify(raw)}`);
  }
  if (u.search !== '' || u.hash !== '' || raw.includes('?') || raw.includes('#')) {
    throw new Error(`allowUrls: expected a prefix without ?query or #fragment but received ${JSON.stringify(raw)}`);
  }
  if (u.hostname === '') {
    throw new Error(`allowUrls: expected a prefix naming a host but received ${JSON.stringify(raw)}`);
  }
  return { raw, protocol: u.protocol, hostname: u.hostname, port: effectivePort(u), path: u.pathname };
}

/**
 * Same scheme, host and port, and a path that is the prefix's path or lies below it: a
 * prefix path ending in '/' is a directory; one without is cut only at a '/' boundary, so
 * 'http://h/images' allows '/images' and '/images/cat.jpg' but not '/images-private/x'.
 */
export function matchesPrefix(u: URL, p: UrlPrefix): boolean {
  if (u.protocol !== p.protocol || u.hostname !== p.hostname || effectivePort(u) !== p.port) return false;
  if (p.path.endsWith('/')) return u.pathname.startsWith(p.path);
  return u.pathname === p.path || u.pathname.startsWith(`${p.path}/`);
}

/** Parsed on every call (a few URL parses per row) so that a changed policy is never stale. */
export function prefixesOf(allowUrls: readonly string[]): UrlPrefix[] {
  return allowUrls.map(parseUrlPrefix);
}
