import { CHARMAP_TABLES, WINDOWS_1252_TABLE, WINDOWS_1252_UNDEFINED } from "./charmap-tables.ts";

// The single-byte codecs ftfy re-encodes suspected mojibake with, and the UTF-8 decoder it
// decodes the result with. Bytes are carried in "binary strings" (one char per byte, codes
// 0-255) so ftfy's byte-level regular expressions translate directly.

export interface Charmap {
  name: string;
  sloppy: boolean;
  decodeTable: string; // byte -> char
  encodeTable: Int16Array; // char code -> byte, -1 if the codec has no byte for it
}

export const CHARMAPS: readonly Charmap[] = CHARMAP_TABLES.map(([name, decodeTable]) => {
  // every table is BMP-only, so one entry per UTF-16 code unit covers it
  const encodeTable = new Int16Array(0x10000).fill(-1);
  for (let b = 0; b < 256; b++) encodeTable[decodeTable.charCodeAt(b)] = b;
  return { name, sloppy: name.startsWith("sloppy-"), decodeTable, encodeTable };
});

// text.encode(codec) as a binary string, or null where Python would raise (which is exactly
// where ftfy's possible_encoding() says no: all these tables decode 0x00-0x7F to ASCII).
export function encodeCharmap(text: string, codec: Charmap): string | null {
  const { encodeTable } = codec;
  const bytes = Buffer.allocUnsafe(text.length);
  for (let i = 0; i < text.length; i++) {
    const b = encodeTable[text.charCodeAt(i)]!;
    if (b < 0) return null;
    bytes[i] = b;
  }
  return bytes.toString("latin1");
}

const SLOPPY_1252 = CHARMAPS.find((c) => c.name === "sloppy-windows-1252")!.decodeTable;

export function decodeSloppyWindows1252Char(byte: number): string {
  return SLOPPY_1252[byte]!;
}

// Python's strict windows-1252 decoding; null if a byte is undefined there.
export function decodeWindows1252(bytes: string): string | null {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes.charCodeAt(i);
    if (WINDOWS_1252_UNDEFINED.includes(b)) return null;
    out += WINDOWS_1252_TABLE[b]!;
  }
  return out;
}

// ftfy's "utf-8-variants" codec: Python's strict UTF-8 (no overlongs, no surrogates, nothing
// past U+10FFFF, no truncated sequences), plus Java's C0 80 for U+0000 and CESU-8 surrogate
// pairs (ED A0-AF xx ED B0-BF xx) for astral characters. On plain UTF-8 it is plain UTF-8,
// so it serves for both of the decoders ftfy picks between. null where Python would raise.
//
// ftfy finds those sequences with a bytes regex whose `$` alternatives also match before a
// final "\n" (Python's `$`), so a trailing "\n" can stand in for the last byte: C0 0A at the
// very end decodes as U+0000, and ED A0-AF xx ED B0-BF 0A at the very end as a CESU-8 pair.
// Segments end with "\n", so this happens: fix_text("À\n") can lose its "À\n".
export function decodeUtf8Variants(bytes: string): string | null {
  const n = bytes.length;
  const units: number[] = [];
  let out = "";
  const flush = () => {
    out += String.fromCharCode(...units);
    units.length = 0;
  };
  const cont = (i: number) => i < n && (bytes.charCodeAt(i) & 0xc0) === 0x80;
  let i = 0;
  while (i < n) {
    if (units.length > 8000) flush();
    const b0 = bytes.charCodeAt(i);
    if (b0 < 0x80) {
      units.push(b0);
      i += 1;
      continue;
    }
    if (b0 === 0xc0 && i + 1 < n && (bytes.charCodeAt(i + 1) === 0x80 || (i + 2 === n && bytes.charCodeAt(i + 1) === 0x0a))) {
      units.push(0);
      i += 2;
      continue;
    }
    if (b0 === 0xed && i + 1 < n && bytes.charCodeAt(i + 1) >= 0xa0) {
      // a surrogate: only acceptable as the first half of a complete CESU-8 pair
      if (i + 5 < n) {
        const b1 = bytes.charCodeAt(i + 1);
        const b2 = bytes.charCodeAt(i + 2);
        const b3 = bytes.charCodeAt(i + 3);
        const b4 = bytes.charCodeAt(i + 4);
        const b5 = bytes.charCodeAt(i + 5);
        if (
          b1 <= 0xaf && (b2 & 0xc0) === 0x80 && b3 === 0xed &&
          b4 >= 0xb0 && b4 <= 0xbf && ((b5 & 0xc0) === 0x80 || (i + 6 === n && b5 === 0x0a))
        ) {
          const cp = ((b1 & 0x0f) << 16) + ((b2 & 0x3f) << 10) + ((b4 & 0x0f) << 6) + (b5 & 0x3f) + 0x10000;
          units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
          i += 6;
          continue;
        }
      }
      return null;
    }
    let cp: number;
    let size: number;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      if (!cont(i + 1)) return null;
      cp = ((b0 & 0x1f) << 6) | (bytes.charCodeAt(i + 1) & 0x3f);
      size = 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      if (!cont(i + 1) || !cont(i + 2)) return null;
      const b1 = bytes.charCodeAt(i + 1);
      if ((b0 === 0xe0 && b1 < 0xa0) || (b0 === 0xed && b1 >= 0xa0)) return null;
      cp = ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (bytes.charCodeAt(i + 2) & 0x3f);
      size = 3;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return null;
      const b1 = bytes.charCodeAt(i + 1);
      if ((b0 === 0xf0 && b1 < 0x90) || (b0 === 0xf4 && b1 >= 0x90)) return null;
      cp = ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((bytes.charCodeAt(i + 2) & 0x3f) << 6) | (bytes.charCodeAt(i + 3) & 0x3f);
      size = 4;
    } else {
      return null;
    }
    if (cp >= 0x10000) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    else units.push(cp);
    i += size;
  }
  flush();
  return out;
}
