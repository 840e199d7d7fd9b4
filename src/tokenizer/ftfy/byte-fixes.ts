// ftfy's repairs on re-encoded bytes (fixes.restore_byte_a0, fixes.replace_lossy_sequences),
// applied to binary strings (one char per byte) before they are decoded as UTF-8.

// UTF-8 sequences that would be valid if a 0xA0 byte had not been turned into a space.
export const ALTERED_UTF8_RE = new RegExp(
  "[\\xc2\\xc3\\xc5\\xce\\xd0\\xd9][ ]" +
    "|[\\xe2\\xe3][ ][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf]" +
    "|[\\xe0-\\xe3][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf][ ]" +
    "|[\\xf0][ ][\\x80-\\xbf][\\x80-\\xbf]" +
    "|[\\xf0][\\x80-\\xbf][ ][\\x80-\\xbf]" +
    "|[\\xf0][\\x80-\\xbf][\\x80-\\xbf][ ]",
  "g",
);

// "Ã " standing alone is usually "à" plus a space that swallowed the 0xA0 ("Ã la mode"):
// keep the space and put the 0xA0 back, except before the Portuguese "às", "àquele", ...
const A_GRAVE_WORD_RE = /\xc3 (?! |quele|quela|quilo|s )/g;

export function restoreByteA0(bytes: string): string {
  return bytes
    .replace(A_GRAVE_WORD_RE, "\xc3\xa0 ")
    .replace(ALTERED_UTF8_RE, (m) => m.replace(/ /g, "\xa0"));
}

// UTF-8 sequences in which a sloppy codec marked lost bytes with 0x1A (or '?'): decode the
// whole sequence as U+FFFD rather than failing.
const LOSSY_UTF8_RE = new RegExp(
  "[\\xc2-\\xdf][\\x1a]" +
    "|[\\xc2-\\xc3][?]" +
    "|\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]" +
    "|\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]" +
    "|[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]" +
    "|[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]" +
    "|[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]" +
    "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]" +
    "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]" +
    "|\\x1a",
  "g",
);

export function replaceLossySequences(bytes: string): string {
  return bytes.replace(LOSSY_UTF8_RE, "\xef\xbf\xbd");
}
