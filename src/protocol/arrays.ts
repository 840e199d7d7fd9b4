// Array(Float32) in TabSeparated: exactly `[v1,v2,...]`. ClickHouse turns `null`
// into 0 and a bare `\N` into [] without complaint, so non-finite values must be
// spelled the way it parses them.

// POW10[68 - e] scales a value of decimal exponent e (Float32: -46..38) to 9 digits.
const POW10 = Array.from({ length: 120 }, (_, i) => 10 ** (i - 60));

/**
 * Nine significant digits always identify a Float32 (its half-ulp is wider than
 * the gap between 9-digit decimals), so this reads back as the same Float32 in
 * ClickHouse. It is 4x faster and half the bytes of Number#toString's 17 digits,
 * which dominated the cost of a row for small models.
 */
export function formatFloat(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) {
    if (Number.isNaN(value)) return 'nan';
    return value > 0 ? 'inf' : '-inf';
  }
  const sign = value < 0 ? '-' : '';
  const a = Math.abs(value);
  let exp = Math.floor(Math.log10(a));
  let mantissa = Math.round(a * POW10[68 - exp]);
  // log10 can be off by one next to powers of ten; rounding can carry to 10 digits.
  if (mantissa >= 1e9) mantissa = Math.round(a * POW10[68 - ++exp]);
  else if (mantissa < 1e8) mantissa = Math.round(a * POW10[68 - --exp]);
  let digits = String(mantissa);
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--;
  digits = digits.slice(0, end);
  if (exp >= 0 && exp < 9) {
    return end <= exp + 1 ? sign + digits + '0'.repeat(exp + 1 - end) : `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  if (exp < 0 && exp >= -6) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  return `${sign}${digits[0]}${end > 1 ? '.' + digits.slice(1) : ''}e${exp}`;
}

export function formatArray(values: ArrayLike<number>): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += formatFloat(values[i]);
  }
  return out + ']';
}
