/**
 * Which IP addresses a URL fetch may connect to. A server-side fetch that any SQL user can
 * point somewhere is an SSRF tool: it could reach the cloud metadata service
 * (169.254.169.254), the server's own loopback services, or the private network. Those
 * ranges are refused unless a configured prefix names the address itself, e.g.
 * 'http://127.0.0.1:8080/images/' (or 'localhost' for the loopback addresses): the admin
 * then chose it knowingly. A host *name* in a prefix does not open private addresses, since
 * whoever controls its DNS could point it anywhere.
 */

export type AddressKind =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared' // 100.64/10 carrier-grade NAT
  | 'link-local'
  | 'cloud-metadata'
  | 'multicast'
  | 'broadcast'
  | 'reserved';

interface Range {
  bytes: number[];
  bits: number;
  kind: AddressKind;
}

const V4: Range[] = [
  { bytes: [169, 254, 169, 254], bits: 32, kind: 'cloud-metadata' },
  { bytes: [255, 255, 255, 255], bits: 32, kind: 'broadcast' },
  { bytes: [0, 0, 0, 0], bits: 8, kind: 'unspecified' },
  { bytes: [10, 0, 0, 0], bits: 8, kind: 'private' },
  { bytes: [100, 64, 0, 0], bits: 10, kind: 'shared' },
  { bytes: [127, 0, 0, 0], bits: 8, kind: 'loopback' },
  { bytes: [169, 254, 0, 0], bits: 16, kind: 'link-local' },
  { bytes: [172, 16, 0, 0], bits: 12, kind: 'private' },
  { bytes: [192, 0, 0, 0], bits: 24, kind: 'reserved' }, // IETF protocol assignments
  { bytes: [192, 0, 2, 0], bits: 24, kind: 'reserved' }, // documentation
  { bytes: [192, 88, 99, 0], bits: 24, kind: 'reserved' }, // 6to4 relay anycast
  { bytes: [192, 168, 0, 0], bits: 16, kind: 'private' },
  { bytes: [198, 18, 0, 0], bits: 15, kind: 'reserved' }, // benchmarking
  { bytes: [198, 51, 100, 0], bits: 24, kind: 'reserved' }, // documentation
  { bytes: [203, 0, 113, 0], bits: 24, kind: 'reserved' }, // documentation
  { bytes: [224, 0, 0, 0], bits: 4, kind: 'multicast' },
  { bytes: [240, 0, 0, 0], bits: 4, kind: 'reserved' },
];

const V6: Range[] = [
  { bytes: [], bits: 128, kind: 'unspecified' }, // ::
  { bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], bits: 128, kind: 'loopback' },
  // AWS's IPv6 metadata endpoint, fd00:ec2::254 (inside fc00::/7 anyway, named for the message).
  { bytes: [0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54], bits: 128, kind: 'cloud-metadata' },
  { bytes: [0x01, 0x00], bits: 64, kind: 'reserved' }, // 100::/64 discard-only
  { bytes: [0x20, 0x01, 0x0d, 0xb8], bits: 32, kind: 'reserved' }, // documentation
  { bytes: [0x20, 0x01, 0x00, 0x00], bits: 32, kind: 'reserved' }, // Teredo: hides an IPv4 address
  { bytes: [0xfc], bits: 7, kind: 'private' }, // unique local
  { bytes: [0xfe, 0x80], bits: 10, kind: 'link-local' },
  { bytes: [0xfe, 0xc0], bits: 10, kind: 'private' }, // deprecated site-local
  { bytes: [0xff], bits: 8, kind: 'multicast' },
];

function inRange(ip: Uint8Array, r: Range): boolean {
  for (let bit = 0; bit < r.bits; bit += 8) {
    const want = r.bytes[bit >> 3] ?? 0;
    const n = Math.min(8, r.bits - bit);
    const mask = (0xff << (8 - n)) & 0xff;
    if ((ip[bit >> 3]! & mask) !== (want & mask)) return false;
  }
  return true;
}

/** Dotted-quad IPv4 (exactly four decimal parts, as the URL parser and DNS hand them out). */
function parseV4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

function parseV6(s: string): Uint8Array | null {
  let text = s;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tail: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tail = parseV4(text.slice(lastColon + 1));
    if (tail === null) return null;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): string[] => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...rest];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  }
  if (tail !== null) out.set(tail, 12);
  return out;
}

/** 4 or 16 bytes, or null when `s` is not an IP address. Accepts '[v6]' as URLs write it. */
export function parseIp(s: string): Uint8Array | null {
  const t = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
  return t.includes(':') ? parseV6(t) : parseV4(t);
}

/**
 * The IPv4 address an IPv6 address stands for, where the network would deliver it to an
 * IPv4 host: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64
 * (64:ff9b::/96) and 6to4 (2002:AABB:CCDD::). Without this '::ffff:127.0.0.1' would pass.
 */
function embeddedV4(ip: Uint8Array): Uint8Array | null {
  const zeros = (from: number, to: number): boolean => ip.subarray(from, to).every((b) => b === 0);
  if (zeros(0, 10) && ip[10] === 0xff && ip[11] === 0xff) return ip.slice(12);
  if (zeros(0, 12) && !(zeros(12, 15) && ip[15]! <= 1)) return ip.slice(12); // :: and ::1 stay IPv6
  if (ip[0] === 0x00 && ip[1] === 0x64 && ip[2] === 0xff && ip[3] === 0x9b && zeros(4, 12)) return ip.slice(12);
  if (ip[0] === 0x20 && ip[1] === 0x02) return ip.slice(2, 6);
  return null;
}

/** Canonical text of an address (embedded IPv4 unwrapped), for comparing two spellings. */
export function canonicalIp(s: string): string | null {
  const ip = parseIp(s);
  if (ip === null) return null;
  const v4 = ip.length === 4 ? ip : embeddedV4(ip);
  if (v4 !== null) return Array.from(v4).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i]! << 8) | ip[i + 1]!).toString(16));
  return groups.join(':');
}

/** The sensitive range an address falls in, or null for an ordinary public address. */
export function classifyAddress(s: string): AddressKind | null {
  const ip = parseIp(s);
  if (ip === null) return null;
  const v4 = ip.length === 4 ? ip : embeddedV4(ip);
  if (v4 !== null) return V4.find((r) => inRange(v4, r))?.kind ?? null;
  // NAT64 local-use prefix: translates to whatever the local operator maps, treat as private.
  if (ip[0] === 0x00 && ip[1] === 0x64 && ip[2] === 0xff && ip[3] === 0x9b && ip[4] === 0x00 && ip[5] === 0x01) return 'private';
  return V6.find((r) => inRange(ip, r))?.kind ?? null;
}

const KIND_TEXT: Record<AddressKind, string> = {
  unspecified: 'unspecified (0.0.0.0/8 or ::)',
  loopback: 'loopback',
  private: 'private',
  shared: 'carrier-grade NAT (100.64.0.0/10)',
  'link-local': 'link-local',
  'cloud-metadata': 'the cloud metadata service',
  multicast: 'multicast',
  broadcast: 'broadcast',
  reserved: 'reserved',
};

/**
 * Null when `address` may be connected to; otherwise the reason, e.g. 'address 10.0.0.5 is
 * private and no allowed prefix names this host'. `prefixHosts` are the hostnames of the
 * configured prefixes (URL.hostname form).
 */
export function refuseAddress(address: string, prefixHosts: readonly string[]): string | null {
  const kind = classifyAddress(address);
  if (kind === null) {
    // Not an IP at all is a bug in the caller: refuse rather than connect blindly.
    return parseIp(address) === null ? `'${address}' is not an IP address` : null;
  }
  const canonical = canonicalIp(address);
  for (const h of prefixHosts) {
    if (canonicalIp(h) === canonical) return null;
    if (kind === 'loopback' && (h === 'localhost' || h.endsWith('.localhost'))) return null;
  }
  const shown = address.includes(':') ? `[${address}]` : address;
  return `address ${shown} is ${KIND_TEXT[kind]} and no allowed prefix names this host`;
}
