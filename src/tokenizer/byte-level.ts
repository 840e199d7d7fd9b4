// OpenAI's bytes_to_unicode(): every byte gets a printable stand-in character so BPE can
// work on text. Printable Latin-1 bytes stand for themselves; the rest (controls, space,
// 0x7F-0xA0, 0xAD) are shifted up to U+0100 and beyond, in byte order.
export function bytesToUnicode(): string[] {
  const table = new Array<string>(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCharCode(printable ? b : 256 + shifted++);
  }
  return table;
}

// The order OpenAI lists the 256 byte characters in its vocabulary: the printable ones first
// (ids 0..187), then the shifted ones (188..255). Ids 256..511 are the same with "</w>".
export function byteVocabOrder(): string[] {
  const table = bytesToUnicode();
  const printable: string[] = [];
  const shifted: string[] = [];
  for (let b = 0; b < 256; b++) {
    const ch = table[b]!;
    (ch.charCodeAt(0) === b ? printable : shifted).push(ch);
  }
  return [...printable, ...shifted];
}

export function utf8Bytes(text: string): Uint8Array {
  return utf8Prefix(text, 0, text.length, Infinity).bytes;
}

// UTF-8 bytes of text[start, end), at most `maxBytes` of them (whole characters only), and
// where the encoded part ends. Lone surrogates cannot get here in practice (ftfy replaces
// them) but are encoded as U+FFFD rather than throwing, so no input can crash the tokenizer.
export function utf8Prefix(text: string, start: number, end: number, maxBytes: number): { bytes: Uint8Array; end: number } {
  const capacity = Math.min(maxBytes, (end - start) * 3);
  const out = new Uint8Array(capacity);
  let n = 0;
  let i = start;
  for (; i < end; i++) {
    const charStart = i;
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const lo = i + 1 < end ? text.charCodeAt(i + 1) : 0;
      if (cp <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      } else {
        cp = 0xfffd;
      }
    }
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (n + size > capacity) {
      i = charStart;
      break;
    }
    if (size === 1) {
      out[n++] = cp;
    } else if (size === 2) {
      out[n++] = 0xc0 | (cp >> 6);
      out[n++] = 0x80 | (cp & 0x3f);
    } else if (size === 3) {
      out[n++] = 0xe0 | (cp >> 12);
      out[n++] = 0x80 | ((cp >> 6) & 0x3f);
      out[n++] = 0x80 | (cp & 0x3f);
    } else {
      out[n++] = 0xf0 | (cp >> 18);
      out[n++] = 0x80 | ((cp >> 12) & 0x3f);
      out[n++] = 0x80 | ((cp >> 6) & 0x3f);
      out[n++] = 0x80 | (cp & 0x3f);
    }
  }
  return { bytes: out.subarray(0, n), end: i };
}
