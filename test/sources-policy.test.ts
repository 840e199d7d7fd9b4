// Pure decisions of the source layer: blocked addresses, URL prefixes, policy validation,
// scheme dispatch, bounded concurrency. No filesystem or network.
import { describe, expect, it } from 'vitest';
import { canonicalIp, classifyAddress, parseIp, refuseAddress } from '../src/sources/address.ts';
import { SourceError, formatBytes, quote } from '../src/sources/errors.ts';
import { createBudget, mapLimit } from '../src/sources/limit.ts';
import { DEFAULT_MAX_BYTES, defaultPolicy, validatePolicy } from '../src/sources/policy.ts';
import { readSource, sourceKind } from '../src/sources/read.ts';
import { matchesPrefix, parseUrlPrefix } from '../src/sources/url-prefix.ts';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['169.254.169.254', 'cloud-metadata'],
    ['169.254.1.1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.7', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fd00:ec2::254', 'cloud-metadata'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['ff02::1', 'multicast'],
    // IPv4 hidden in IPv6: mapped (both spellings), compatible, NAT64, 6to4
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'cloud-metadata'],
    ['::ffff:10.1.2.3', 'private'],
    ['::10.1.2.3', 'private'],
    ['64:ff9b::a9fe:a9fe', 'cloud-metadata'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
  ])('%s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.255.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '2002:808:808::'])(
    '%s is public',
    (ip) => {
      expect(classifyAddress(ip)).toBeNull();
    },
  );

  it('parses and canonicalizes', () => {
    expect(parseIp('1.2.3')).toBeNull();
    expect(parseIp('1.2.3.256')).toBeNull();
    expect(parseIp('1::2::3')).toBeNull();
    expect(parseIp('[::1]')).toEqual(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]));
    expect(canonicalIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalIp('[::FFFF:7f00:1]')).toBe('127.0.0.1');
    expect(canonicalIp('2001:db8::1')).toBe('2001:db8:0:0:0:0:0:1');
  });
});

describe('refuseAddress', () => {
  it('refuses private addresses, naming the address and the reason', () => {
    expect(refuseAddress('10.0.0.5', ['images.example.com'])).toBe(
      'address 10.0.0.5 is private and no allowed prefix names this host',
    );
    expect(refuseAddress('169.254.169.254', [])).toMatch(/169\.254\.169\.254 is the cloud metadata service/);
    expect(refuseAddress('::1', [])).toBe('address [::1] is loopback and no allowed prefix names this host');
  });

  it('allows public addresses', () => {
    expect(refuseAddress('93.184.216.34', [])).toBeNull();
  });

  it('allows a blocked address that a prefix names as an IP literal, in any spelling', () => {
    expect(refuseAddress('127.0.0.1', ['127.0.0.1'])).toBeNull();
    expect(refuseAddress('::ffff:127.0.0.1', ['127.0.0.1'])).toBeNull();
    expect(refuseAddress('::1', ['[::1]'])).toBeNull();
    expect(refuseAddress('127.0.0.2', ['127.0.0.1'])).not.toBeNull();
    expect(refuseAddress('10.0.0.5', ['10.0.0.6'])).not.toBeNull();
  });

  it('a prefix naming localhost opens loopback only; a name opens nothing private', () => {
    expect(refuseAddress('127.0.0.1', ['localhost'])).toBeNull();
    expect(refuseAddress('::1', ['localhost'])).toBeNull();
    expect(refuseAddress('10.0.0.5', ['localhost'])).not.toBeNull();
    expect(refuseAddress('10.0.0.5', ['internal.example.com'])).not.toBeNull();
  });

  it('refuses what is not an IP at all', () => {
    expect(refuseAddress('example.com', [])).toMatch(/not an IP address/);
  });
});

describe('URL prefixes', () => {
  const p = parseUrlPrefix('http://allowed.com/images/');
  const m = (u: string): boolean => matchesPrefix(new URL(u), p);

  it('matches scheme, host, port and path', () => {
    expect(m('http://allowed.com/images/cat.jpg')).toBe(true);
    expect(m('http://ALLOWED.com:80/images/a/b.jpg?x=1')).toBe(true);
    expect(m('https://allowed.com/images/cat.jpg')).toBe(false);
    expect(m('http://allowed.com:8080/images/cat.jpg')).toBe(false);
    expect(m('http://allowed.com/other/cat.jpg')).toBe(false);
    expect(m('http://allowed.com/images')).toBe(false);
  });

  it('is not fooled by userinfo, longer host names or dot segments', () => {
    expect(m('http://allowed.com@evil.com/images/x.jpg')).toBe(false);
    expect(m('http://allowed.com.evil.com/images/x.jpg')).toBe(false);
    expect(m('http://allowed.com/images/../secret/x.jpg')).toBe(false);
    expect(m('http://allowed.com/images/%2e%2e/secret/x.jpg')).toBe(false);
    expect(m('http://allowed.com/images/..%2fsecret')).toBe(true); // one segment on the wire: the server's business
  });

  it('cuts a prefix without a trailing slash at a path boundary', () => {
    const q = parseUrlPrefix('https://cdn.example.com/img');
    expect(matchesPrefix(new URL('https://cdn.example.com/img'), q)).toBe(true);
    expect(matchesPrefix(new URL('https://cdn.example.com/img/a.jpg'), q)).toBe(true);
    expect(matchesPrefix(new URL('https://cdn.example.com/img-private/a.jpg'), q)).toBe(false);
    expect(matchesPrefix(new URL('https://cdn.example.com:443/img/a.jpg'), q)).toBe(true);
  });

  it('compares IP hosts in normalized form', () => {
    const q = parseUrlPrefix('http://127.0.0.1:8080/');
    expect(matchesPrefix(new URL('http://0x7f.1:8080/x'), q)).toBe(true);
    expect(matchesPrefix(new URL('http://2130706433:8080/x'), q)).toBe(true);
    expect(matchesPrefix(new URL('http://127.0.0.2:8080/x'), q)).toBe(false);
  });

  it('refuses bad prefixes with the reason', () => {
    expect(() => parseUrlPrefix('ftp://h/')).toThrow(/expected an http:\/\/ or https:\/\/ prefix/);
    expect(() => parseUrlPrefix('images.example.com/')).toThrow(/expected an absolute http/);
    expect(() => parseUrlPrefix('http://u:p@h/')).toThrow(/without user:password@/);
    expect(() => parseUrlPrefix('http://h/?a=1')).toThrow(/without \?query/);
  });
});

describe('policy', () => {
  it('defaults: user_files only, no URLs, 64 MiB', () => {
    const p = defaultPolicy();
    expect(p.allowDirs).toEqual(['/var/lib/clickhouse/user_files']);
    expect(p.allowUrls).toEqual([]);
    expect(p.maxBytes).toBe(DEFAULT_MAX_BYTES);
    expect(formatBytes(p.maxBytes)).toBe('64 MiB');
    expect(p.maxRedirects).toBe(3);
  });

  it('validation names the setting, the expectation and the value', () => {
    expect(() => defaultPolicy({ allowDirs: ['relative/dir'] })).toThrow('allowDirs: expected absolute directory paths but received "relative/dir"');
    expect(() => defaultPolicy({ maxBytes: 0 })).toThrow('maxBytes: expected an integer >= 1 but received 0');
    expect(() => validatePolicy({ ...defaultPolicy(), maxRedirects: -1 })).toThrow(/maxRedirects/);
    expect(() => defaultPolicy({ allowUrls: ['gopher://h/'] })).toThrow(/allowUrls/);
  });
});

describe('scheme dispatch', () => {
  it('paths and file: go to files, http(s) to the network', () => {
    expect(sourceKind('/a/b.jpg')).toBe('file');
    expect(sourceKind('b.jpg')).toBe('file');
    expect(sourceKind('file:///a/b.jpg')).toBe('file');
    expect(sourceKind('HTTPS://x/y')).toBe('http');
  });

  it.each(['ftp://h/x.jpg', 'data:image/png;base64,iVBORw0KGgo=', 'javascript:alert(1)', 'gopher://h:70/_x', 'jar:file:///x!/y', 'dict://h/'])(
    'refuses %s',
    async (arg) => {
      const err = await readSource(arg, defaultPolicy({ allowUrls: ['http://h/'] })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceError);
      expect((err as SourceError).code).toBe('invalid');
      expect((err as SourceError).message).toMatch(/unsupported scheme '[a-z]+:'; expected a file path, a file:\/\/ URL or an http\(s\):\/\/ URL$/);
    },
  );

  it('URLs are refused when no prefix is configured', async () => {
    await expect(readSource('http://example.com/x.jpg', defaultPolicy())).rejects.toThrow(
      'URLs are not allowed: the installer was not given --allow-url',
    );
  });
});

describe('quote', () => {
  it('keeps messages on one line and short', () => {
    expect(quote('a\nb\tc')).toBe("'a\\x0ab\\x09c'");
    expect(quote('x'.repeat(500))).toHaveLength(205);
  });
});

describe('mapLimit', () => {
  it('keeps order and never exceeds the limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (ms, i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, ms * 3));
      inFlight--;
      return i * 10;
    });
    expect(out).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(peak).toBe(3);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    await expect(mapLimit([0, 1, 2, 3, 4], 1, async (x) => {
      started.push(x);
      if (x === 1) throw new Error('boom');
      return x;
    })).rejects.toThrow('boom');
    expect(started).toEqual([0, 1]);
  });

  it('handles an empty list and refuses a bad limit', async () => {
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
    await expect(mapLimit([1], 0, async () => 1)).rejects.toThrow(/expected a concurrency limit >= 1 but received 0/);
  });
});

describe('createBudget', () => {
  const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('runs side by side only what fits, a cost above the whole budget alone, in turn', async () => {
    const budget = createBudget(10);
    let used = 0;
    let peak = 0;
    const order: string[] = [];
    const job = (name: string, cost: number, ms: number) => budget(cost, async () => {
      order.push(name);
      used += cost;
      peak = Math.max(peak, used);
      await tick(ms);
      used -= cost;
      return name;
    });
    // a and b fit together; c (8) waits for both; d (25) is larger than the budget and runs
    // alone; e is small but waits its turn behind d.
    const results = await Promise.all([job('a', 4, 20), job('b', 6, 30), job('c', 8, 10), job('d', 25, 10), job('e', 1, 5)]);
    expect(results).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(peak).toBe(25);
    expect(used).toBe(0);
  });

  it('a failure releases its share', async () => {
    const budget = createBudget(5);
    await expect(budget(5, async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    let ran = false;
    await budget(5, async () => { ran = true; });
    expect(ran).toBe(true);
  });

  it('lets in at once all that fit when a share is freed', async () => {
    const budget = createBudget(10);
    const events: string[] = [];
    await Promise.all([
      budget(6, async () => { await tick(30); events.push('first done'); }),
      budget(6, async () => { events.push('second starts'); await tick(30); events.push('second done'); }),
      budget(4, async () => { events.push('third starts'); }),
    ]);
    expect(events).toEqual(['first done', 'second starts', 'third starts', 'second done']);
  });
});
