import { MOJIBAKE_CATEGORIES as C } from "./char-categories.ts";

// ftfy's badness heuristic (badness.py): unlikely juxtapositions of the few hundred
// characters that UTF-8 mojibake is made of. ftfy only ever asks whether there is a match
// (is_bad), so alternatives can be in any order.
//
// Python regex syntax translated to JavaScript: `\s` is Python's Unicode whitespace
// (str.isspace, which JS \s does not equal), `\w` is letters, numbers and underscore, `.`
// is anything but "\n" (JS `.` also refuses "\r", U+2028, U+2029). Alternatives that begin
// with an ASCII letter or a space begin with a lookbehind instead: the same matches exist,
// and every alternative then starts on a rare character, which makes scanning long text fast.

const PY_SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_WORD = "\\p{L}\\p{N}_";

const ALTERNATIVES = [
  `[${C.c1}]`,
  `[${C.bad}${C.lower_accented}${C.upper_accented}${C.box}${C.start_punctuation}${C.end_punctuation}${C.currency}${C.numeric}${C.law}][${C.bad}]`,
  `(?<=[a-zA-Z])[${C.lower_common}${C.upper_common}][${C.bad}]`,
  `[${C.bad}][${C.lower_accented}${C.upper_accented}${C.box}${C.start_punctuation}${C.end_punctuation}${C.currency}${C.numeric}${C.law}]`,
  `[${C.lower_accented}${C.lower_common}${C.box}${C.end_punctuation}${C.currency}${C.numeric}][${C.upper_accented}]`,
  `[${C.box}${C.end_punctuation}${C.currency}${C.numeric}][${C.lower_accented}]`,
  `[${C.lower_accented}${C.box}${C.end_punctuation}][${C.currency}]`,
  `(?<=[${PY_SPACE}])[${C.upper_accented}][${C.currency}]`,
  `[${C.upper_accented}${C.box}][${C.numeric}${C.law}]`,
  `[${C.lower_accented}${C.upper_accented}${C.box}${C.currency}${C.end_punctuation}][${C.start_punctuation}][${C.numeric}]`,
  `[${C.lower_accented}${C.upper_accented}${C.currency}${C.numeric}${C.box}${C.law}][${C.end_punctuation}][${C.start_punctuation}]`,
  `[${C.currency}${C.numeric}${C.box}][${C.start_punctuation}]`,
  `(?<=[a-z])[${C.upper_accented}][${C.start_punctuation}${C.currency}]`,
  `[${C.box}][${C.kaomoji}]`,
  `[${C.lower_accented}${C.upper_accented}${C.currency}${C.numeric}${C.start_punctuation}${C.end_punctuation}${C.law}][${C.box}]`,
  `[${C.box}][${C.end_punctuation}]`,
  `[${C.lower_accented}${C.upper_accented}][${C.start_punctuation}${C.end_punctuation}][${PY_WORD}]`,
  // the ligature œ when not followed by an unaccented Latin letter
  "[\u0152\u0153][^A-Za-z]",
  // degree signs after capital letters
  `[${C.upper_accented}]\u00b0`,
  // common Windows-1252 2-character mojibake that isn't covered by the cases above
  `[\u00c2\u00c3\u00ce\u00d0][\u20ac\u0153\u0160\u0161\u00a2\u00a3\u0178\u017e\u00a0\u00ad\u00ae\u00a9\u00b0\u00b7\u00bb${C.start_punctuation}${C.end_punctuation}\u2013\u2014\u00b4]`,
  "\u00d7[\u00b2\u00b3]",
  // Windows-1252 mojibake of Arabic words, four characters
  `[\u00d8\u00d9][${C.common}${C.currency}${C.bad}${C.numeric}${C.start_punctuation}\u0178\u0160\u00ae\u00b0\u00b5\u00bb]` +
    `[\u00d8\u00d9][${C.common}${C.currency}${C.bad}${C.numeric}${C.start_punctuation}\u0178\u0160\u00ae\u00b0\u00b5\u00bb]`,
  // Windows-1252 mojibake that starts 3-character sequences for some South Asian alphabets
  "\u00e0[\u00b2\u00b5\u00b9\u00bc\u00bd\u00be]",
  // MacRoman mojibake that isn't covered by the cases above
  "\u221a[\u00b1\u2202\u2020\u2260\u00ae\u2122\u00b4\u2264\u2265\u00a5\u00b5\u00f8]",
  "\u2248[\u00b0\u00a2]",
  "\u201a\u00c4[\u00ec\u00ee\u00ef\u00f2\u00f4\u00fa\u00f9\u00fb\u2020\u00b0\u00a2\u03c0]",
  "\u201a[\u00e2\u00f3][\u00e0\u00e4\u00b0\u00ea]",
  // Windows-1251 mojibake of characters in the U+2000 range
  "\u0432\u0402",
  // Windows-1251 mojibake of Latin-1 characters and/or the Cyrillic alphabet
  `[\u0412\u0413\u0420\u0421][${C.c1}${C.bad}${C.start_punctuation}${C.end_punctuation}${C.currency}\u00b0\u00b5][\u0412\u0413\u0420\u0421]`,
  // Windows-1251 on top of Latin-1 mojibake of Windows-1252 characters
  "\u0413\u045e\u0412\u0402\u0412[^\\n][A-Za-z ]",
  // Windows-1252 encodings of 'à' and 'á', as well as \xa0 itself
  "\u00c3[\u00a0\u00a1]",
  `(?<=[a-z][${PY_SPACE}]?)[\u00c3\u00c2] `,
  "^[\u00c3\u00c2] ",
  // Â preceding a character as an encoding of exactly the same character
  `(?<=[a-z.,?!${C.end_punctuation}])\u00c2[ ${C.start_punctuation}${C.end_punctuation}]`,
  // Windows-1253 mojibake of characters in the U+2000 range
  "\u03b2\u20ac[\u2122\u00a0\u0386\u00ad\u00ae\u00b0]",
  // Windows-1253 mojibake of Latin-1 characters and/or the Greek alphabet
  `[\u0392\u0393\u039e\u039f][${C.c1}${C.bad}${C.start_punctuation}${C.end_punctuation}${C.currency}\u00b0][\u0392\u0393\u039e\u039f]`,
  // Windows-1257 mojibake of characters in the U+2000 range
  "\u0101\u20ac",
];

// Every character that can begin a match: all the categories, and the literal characters
// that begin some alternatives. Checking it first lets the engine skip most positions of
// long text cheaply (about 5x faster on CJK, emoji or mostly-ASCII text).
const FIRST_CHARS =
  Object.values(C).join("") +
  "\u0152\u0153\u00c2\u00c3\u00ce\u00d0\u00d7\u00d8\u00d9\u00e0\u221a\u2248\u201a" +
  "\u0432\u0412\u0413\u0420\u0421\u03b2\u0392\u0393\u039e\u039f\u0101";

const BADNESS_RE = new RegExp(`(?=[${FIRST_CHARS}])(?:${ALTERNATIVES.join("|")})`, "u");

export function isBad(text: string): boolean {
  return BADNESS_RE.test(text);
}
