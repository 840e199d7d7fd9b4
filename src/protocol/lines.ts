// Splits a byte stream into '\n'-terminated lines. Reads arrive split anywhere
// (mid-line, mid-UTF-8 sequence); 0x0A never occurs inside a multi-byte UTF-8
// character and ClickHouse escapes it inside values, so splitting bytes is exact.

const NEWLINE = 0x0a;

export class LineSplitter {
  private pending: Buffer[] = [];

  /** Returns the lines completed by this chunk, without their '\n'. */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, nl);
      if (this.pending.length > 0) {
        this.pending.push(piece);
        lines.push(Buffer.concat(this.pending));
        this.pending = [];
      } else {
        // Copy: the caller's chunk may be a pooled buffer that is reused later.
        lines.push(Buffer.from(piece));
      }
      start = nl + 1;
    }
    if (start < chunk.length) this.pending.push(Buffer.from(chunk.subarray(start)));
    return lines;
  }

  /** The bytes after the last '\n', if any: a final row without its terminator. */
  rest(): Buffer | undefined {
    if (this.pending.length === 0) return undefined;
    const last = Buffer.concat(this.pending);
    this.pending = [];
    return last;
  }
}
