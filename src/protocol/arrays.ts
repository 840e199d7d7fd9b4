// Array(Float32) in TabSeparated: exactly `[v1,v2,...]`. ClickHouse turns `null`
// into 0 and a bare `\N` into [] without complaint, so non-finite values must be
// spelled the way it parses them.

export function formatFloat(value: number): string {
  if (Number.isFinite(value)) {
    // Number#toString prints the shortest decimal that reads back as the same
    // double; a Float32 widened to double therefore reads back as the same Float32.
    return String(value);
  }
  if (Number.isNaN(value)) return 'nan';
  return value > 0 ? 'inf' : '-inf';
}

export function formatArray(values: ArrayLike<number>): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += formatFloat(values[i]);
  }
  return out + ']';
}
