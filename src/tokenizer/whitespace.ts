// Whitespace as OpenAI's tokenizer sees it. simple_tokenizer does `import regex as re`, so its
// `\s` (whitespace_clean and the pre-split pattern) is the `regex` module's, which differs from
// JavaScript's: it includes U+0085 and excludes U+FEFF (JS \s is the other way round), and
// unlike Python's str.isspace() it excludes U+001C..U+001F.
export const WHITESPACE_CLASS = "\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

// Why whitespace_clean() and the strip() calls are not performed: they only shorten or drop
// whitespace runs, and whitespace never belongs to a pre-split piece (nor changes lowercasing,
// as it is neither cased nor case-ignorable), so the pieces, hence the ids, are the same
// without them. (str.strip() would also drop U+001C..U+001F at the ends, but ftfy has already
// removed those characters and html.unescape cannot produce them.)

export function isWhitespaceCode(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0x85) return false;
  return (
    c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}
