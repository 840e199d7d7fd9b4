// TabSeparated field decoding, byte for byte. Fields stay Buffers because
// encode_image_bytes receives arbitrary binary data, not UTF-8 text.

const BACKSLASH = 0x5c;
const TAB = 0x09;

// ClickHouse writes \b \t \n \f \r \0 \\ \' ; its reader also accepts the rest
// of the C set, so a hand-made input row decodes the way clickhouse-local would.
const SIMPLE_ESCAPES: Record<number, number> = {
  0x62: 0x08, // b
  0x74: 0x09, // t
  0x6e: 0x0a, // n
  0x66: 0x0c, // f
  0x72: 0x0d, // r
  0x30: 0x00, // 0
  0x61: 0x07, // a
  0x76: 0x0b, // v
  0x65: 0x1b, // e
  0x5c: 0x5c, // backslash
  0x27: 0x27, // '
  0x22: 0x22, // "
  0x2f: 0x2f, // /
};

/** A NULL of a Nullable(String) argument: the bare two bytes `\N`. */
export function isNullField(field: Buffer): boolean {
  return field.length === 2 && field[0] === BACKSLASH && field[1] === 0x4e;
}

export function unescapeField(field: Buffer): Buffer {
  const first = field.indexOf(BACKSLASH);
  if (first < 0) return field;
  const out = Buffer.allocUnsafe(field.length);
  field.copy(out, 0, 0, first);
  let o = first;
  let i = first;
  while (i < field.length) {
    const byte = field[i];
    if (byte !== BACKSLASH || i + 1 >= field.length) {
      out[o++] = byte;
      i++;
      continue;
    }
    const next = field[i + 1];
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out[o++] = simple;
      i += 2;
    } else if (next === 0x78 && i + 3 < field.length && isHex(field[i + 2]) && isHex(field[i + 3])) {
      out[o++] = parseInt(String.fromCharCode(field[i + 2], field[i + 3]), 16);
      i += 4;
    } else {
      // Unknown escape: ClickHouse keeps the escaped character and drops the backslash.
      out[o++] = next;
      i += 2;
    }
  }
  return out.subarray(0, o);
}

function isHex(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

/** Splits a row on raw tabs; escaped tabs inside values are `\t` and never split. */
export function splitFields(row: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  let start = 0;
  for (let i = row.indexOf(TAB); i >= 0; i = row.indexOf(TAB, start)) {
    fields.push(row.subarray(start, i));
    start = i + 1;
  }
  fields.push(row.subarray(start));
  return fields;
}

/** Escapes bytes the way ClickHouse's TabSeparated writer does (used by tests and tools). */
export function escapeField(value: Buffer): Buffer {
  const parts: number[] = [];
  for (const byte of value) {
    switch (byte) {
      case 0x08: parts.push(BACKSLASH, 0x62); break;
      case 0x09: parts.push(BACKSLASH, 0x74); break;
      case 0x0a: parts.push(BACKSLASH, 0x6e); break;
      case 0x0c: parts.push(BACKSLASH, 0x66); break;
      case 0x0d: parts.push(BACKSLASH, 0x72); break;
      case 0x00: parts.push(BACKSLASH, 0x30); break;
      case 0x5c: parts.push(BACKSLASH, BACKSLASH); break;
      case 0x27: parts.push(BACKSLASH, 0x27); break;
      default: parts.push(byte);
    }
  }
  return Buffer.from(parts);
}
