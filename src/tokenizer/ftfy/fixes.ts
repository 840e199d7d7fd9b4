import { FTFY_UPPERCASE_ENTITIES, HTML5_ENTITIES } from "../html-entities-table.ts";
import { replaceCharref } from "../html-unescape.ts";
import { C1_CONTROL_RE } from "./chardata.ts";
import { decodeSloppyWindows1252Char } from "./codecs.ts";

// The character-level fixers of ftfy (fixes.py), each applied by fix_text in this order after
// fix_encoding: c1 controls, ligatures, width, quotes, line breaks, surrogates, terminal
// escapes, control characters.

// ftfy's unescape_html: only references ending in ';' are decoded (so "this&not that" stays),
// plus all-caps names of common characters ("P&EACUTE;REZ").
const FTFY_ENTITIES = new Map<string, string>();
for (const [name, text] of Object.entries(HTML5_ENTITIES)) {
  if (name.endsWith(";")) FTFY_ENTITIES.set("&" + name, text);
}
for (const [name, text] of Object.entries(FTFY_UPPERCASE_ENTITIES)) FTFY_ENTITIES.set("&" + name, text);
const FTFY_ENTITY_RE = /&#?[0-9A-Za-z]{1,24};/g;

export function unescapeHtml(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(FTFY_ENTITY_RE, (entity) => {
    const known = FTFY_ENTITIES.get(entity);
    if (known !== undefined) return known;
    if (entity.startsWith("&#")) {
      // as html.unescape would, but only if it consumes the whole reference
      const unescaped = entity.replace(/^&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?)/, (_m, body: string) => replaceCharref(body));
      return unescaped.includes(";") ? entity : unescaped;
    }
    return entity;
  });
}

export function fixC1Controls(text: string): string {
  return text.replace(C1_CONTROL_RE, (c) => decodeSloppyWindows1252Char(c.charCodeAt(0)));
}

const LIGATURES = new Map<string, string>([
  ["\u0132", "IJ"], ["\u0133", "ij"], ["\u0149", "\u02bcn"], ["\u01f1", "DZ"], ["\u01f2", "Dz"],
  ["\u01f3", "dz"], ["\u01c4", "D\u017d"], ["\u01c5", "D\u017e"], ["\u01c6", "d\u017e"],
  ["\u01c7", "LJ"], ["\u01c8", "Lj"], ["\u01c9", "lj"], ["\u01ca", "NJ"], ["\u01cb", "Nj"],
  ["\u01cc", "nj"], ["\ufb00", "ff"], ["\ufb01", "fi"], ["\ufb02", "fl"], ["\ufb03", "ffi"],
  ["\ufb04", "ffl"], ["\ufb05", "\u017ft"], ["\ufb06", "st"],
]);
const LIGATURE_RE = /[\u0132\u0133\u0149\u01f1-\u01f3\u01c4-\u01cc\ufb00-\ufb06]/g;

export function fixLatinLigatures(text: string): string {
  return text.replace(LIGATURE_RE, (c) => LIGATURES.get(c)!);
}

// Fullwidth and halfwidth forms to their usual width, as ftfy builds it: NFKC of each
// character U+FF01..U+FFEF that NFKC changes, plus the ideographic space.
const WIDTH_MAP = new Map<string, string>([["\u3000", " "]]);
for (let c = 0xff01; c < 0xfff0; c++) {
  const ch = String.fromCharCode(c);
  const wide = ch.normalize("NFKC");
  if (wide !== ch) WIDTH_MAP.set(ch, wide);
}
const WIDTH_RE = /[\u3000\uff01-\uffef]/g;

export function fixCharacterWidth(text: string): string {
  return text.replace(WIDTH_RE, (c) => WIDTH_MAP.get(c) ?? c);
}

export function uncurlQuotes(text: string): string {
  return text.replace(/[\u201c-\u201f]/g, '"').replace(/[\u02bc\u2018-\u201b]/g, "'");
}

export function fixLineBreaks(text: string): string {
  return text.replace(/\r\n?|[\u2028\u2029\x85]/g, "\n");
}

// A JavaScript string holds astral characters as valid surrogate pairs already (what ftfy's
// pair-joining produces); any surrogate left alone becomes U+FFFD.
export function fixSurrogates(text: string): string {
  let out: string | undefined;
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      i++; // a valid pair
      continue;
    }
    out = (out ?? "") + text.slice(last, i) + "\ufffd";
    last = i + 1;
  }
  return out === undefined ? text : out + text.slice(last);
}

// "\x1b[...m" and friends; Python's \d is any decimal digit.
export function removeTerminalEscapes(text: string): string {
  return text.includes("\x1b") ? text.replace(/\x1b\[(?:\p{Nd}|;)*[a-zA-Z]/gu, "") : text;
}

export const CONTROL_CHARS_RE = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;

export function removeControlChars(text: string): string {
  return text.replace(CONTROL_CHARS_RE, "");
}
