// Array(Float32) in TabSeparated: exactly `[v1,v2,...]`. ClickHouse turns `null`
// into 0 and a bare `\N` into [] without complaint, so non-finite values must be
// spelled the way it parses them.

// POW10[68 - e] scales a value of decimal exponent e (Float32: -46..38) to 9 digits.
const POW10 = Array.from({ length: 120 }, (_, i) => 10 ** (i - 60));

// The longest value: '-' + 9 digits + '.' + 'e-45' = 15 bytes, and a comma.
const MAX_FLOAT_BYTES = 16;

const digits = new Uint8Array(9);
let scratch = Buffer.allocUnsafe(1024 * MAX_FLOAT_BYTES);

/**
 * Nine significant digits always identify a Float32 (its half-ulp is wider than
 * the gap between 9-digit decimals), so this reads back as the same Float32 in
 * ClickHouse: half the bytes of Number#toString's 17 digits.
 *
 * Written as bytes into one buffer, never as string pieces: a row built with `+=`
 * is a rope of 1000 pieces that V8 must flatten before it can be written, and that
 * made printing 0.4 ms a row, more than the GPU takes to compute it.
 * Returns the end; `buf` needs MAX_FLOAT_BYTES free at `pos`.
 */
function writeFloat(buf: Buffer, pos: number, value: number): number {
  if (value === 0) {
    buf[pos] = 48;
    return pos + 1;
  }
  if (!Number.isFinite(value)) return pos + buf.write(Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf', pos, 'latin1');
  if (value < 0) {
    buf[pos++] = 45;
    value = -value;
  }
  let exp = Math.floor(Math.log10(value));
  let mantissa = Math.round(value * POW10[68 - exp]);
  // log10 can be off by one next to powers of ten; rounding can carry to 10 digits.
  if (mantissa >= 1e9) mantissa = Math.round(value * POW10[68 - ++exp]);
  else if (mantissa < 1e8) mantissa = Math.round(value * POW10[68 - --exp]);
  for (let i = 8; i >= 0; i--) {
    const q = Math.floor(mantissa / 10);
    digits[i] = 48 + mantissa - q * 10;
    mantissa = q;
  }
  let end = 9;
  while (end > 1 && digits[end - 1] === 48) end--;
  if (exp >= 0 && exp < 9) {
    for (let i = 0; i <= exp; i++) buf[pos++] = i < end ? digits[i] : 48;
    if (end > exp + 1) {
      buf[pos++] = 46;
      for (let i = exp + 1; i < end; i++) buf[pos++] = digits[i];
    }
    return pos;
  }
  if (exp < 0 && exp >= -6) {
    buf[pos++] = 48;
    buf[pos++] = 46;
    for (let i = -1; i > exp; i--) buf[pos++] = 48;
    for (let i = 0; i < end; i++) buf[pos++] = digits[i];
    return pos;
  }
  buf[pos++] = digits[0];
  if (end > 1) {
    buf[pos++] = 46;
    for (let i = 1; i < end; i++) buf[pos++] = digits[i];
  }
  buf[pos++] = 101;
  return pos + buf.write(String(exp), pos, 'latin1');
}

function writeArray(buf: Buffer, pos: number, values: ArrayLike<number>): number {
  buf[pos++] = 91;
  for (let i = 0; i < values.length; i++) {
    if (i > 0) buf[pos++] = 44;
    pos = writeFloat(buf, pos, values[i]);
  }
  buf[pos++] = 93;
  return pos;
}

export function formatFloat(value: number): string {
  return scratch.toString('latin1', 0, writeFloat(scratch, 0, value));
}

export function formatArray(values: ArrayLike<number>): string {
  const need = 2 + values.length * MAX_FLOAT_BYTES;
  if (scratch.length < need) scratch = Buffer.allocUnsafe(need);
  return scratch.toString('latin1', 0, writeArray(scratch, 0, values));
}

/**
 * Answer rows `[...]\n`, back to back in one buffer; row i ends at `ends[i]`. The buffer has
 * its memory to itself (never Node's shared pool), so a worker can hand it over uncopied.
 */
export function printArrays(vectors: ArrayLike<number>[]): { bytes: Buffer; ends: number[] } {
  const bytes = Buffer.allocUnsafeSlow(vectors.reduce((n, v) => n + 3 + v.length * MAX_FLOAT_BYTES, 0));
  const ends: number[] = [];
  let pos = 0;
  for (const v of vectors) {
    pos = writeArray(bytes, pos, v);
    bytes[pos++] = 10;
    ends.push(pos);
  }
  return { bytes: bytes.subarray(0, pos), ends };
}

/** Splits back-to-back rows at their `ends` (views, no copies). */
export function splitAt<T extends Uint8Array | Float32Array>(whole: T, ends: number[]): T[] {
  return ends.map((end, i) => whole.subarray(i === 0 ? 0 : ends[i - 1], end) as T);
}

/** printArrays' rows, as Buffers to write. */
export function rowsOfPrinted(bytes: Uint8Array, ends: number[]): Buffer[] {
  return splitAt(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), ends);
}

/** Each vector as its answer row, printed on this thread. */
export function printRows(vectors: Float32Array[]): Buffer[] {
  const { bytes, ends } = printArrays(vectors);
  return rowsOfPrinted(bytes, ends);
}
