import { HTML5_ENTITIES } from "./html-entities-table.ts";

// Python's html.unescape(), which OpenAI's basic_clean applies twice after ftfy. Unlike ftfy's
// cautious unescaping it also decodes references without a semicolon ("&amp" -> "&") and the
// longest entity name that prefixes a longer run ("&ampfoo;" -> "&foo;").

const ENTITIES = new Map<string, string>(Object.entries(HTML5_ENTITIES));
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

// Numeric references that HTML5 maps to something other than their code point.
const INVALID_CHARREFS = new Map<number, string>([
  [0x00, "\ufffd"], [0x0d, "\r"], [0x80, "\u20ac"], [0x81, "\x81"], [0x82, "\u201a"],
  [0x83, "\u0192"], [0x84, "\u201e"], [0x85, "\u2026"], [0x86, "\u2020"], [0x87, "\u2021"],
  [0x88, "\u02c6"], [0x89, "\u2030"], [0x8a, "\u0160"], [0x8b, "\u2039"], [0x8c, "\u0152"],
  [0x8d, "\x8d"], [0x8e, "\u017d"], [0x8f, "\x8f"], [0x90, "\x90"], [0x91, "\u2018"],
  [0x92, "\u2019"], [0x93, "\u201c"], [0x94, "\u201d"], [0x95, "\u2022"], [0x96, "\u2013"],
  [0x97, "\u2014"], [0x98, "\u02dc"], [0x99, "\u2122"], [0x9a, "\u0161"], [0x9b, "\u203a"],
  [0x9c, "\u0153"], [0x9d, "\x9d"], [0x9e, "\u017e"], [0x9f, "\u0178"],
]);

// Code points that a numeric reference silently drops.
function isInvalidCodePoint(n: number): boolean {
  return (
    (n >= 0x01 && n <= 0x08) ||
    n === 0x0b ||
    (n >= 0x0e && n <= 0x1f) ||
    (n >= 0x7f && n <= 0x9f) ||
    (n >= 0xfdd0 && n <= 0xfdef) ||
    (n & 0xfffe) === 0xfffe
  );
}

// `body` is what follows "&" in a match: "#65;", "#x41", "amp;", ...
export function replaceCharref(body: string): string {
  if (body.charCodeAt(0) === 0x23 /* # */) {
    const hex = body[1] === "x" || body[1] === "X";
    const digits = body.slice(hex ? 2 : 1).replace(/;$/, "");
    // parseInt is exact for every value that matters; huge ones only need to exceed 0x10FFFF
    const num = parseInt(digits, hex ? 16 : 10);
    const special = INVALID_CHARREFS.get(num);
    if (special !== undefined) return special;
    if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return "\ufffd";
    if (isInvalidCodePoint(num)) return "";
    return String.fromCodePoint(num);
  }
  const whole = ENTITIES.get(body);
  if (whole !== undefined) return whole;
  for (let x = body.length - 1; x > 1; x--) {
    const prefix = ENTITIES.get(body.slice(0, x));
    if (prefix !== undefined) return prefix + body.slice(x);
  }
  return "&" + body;
}

export function htmlUnescape(s: string): string {
  return htmlUnescapePrefix(s, true);
}

// `complete` says whether `s` is the whole text or only a prefix of a longer one. For a prefix
// the result stops where a reference may still be growing, so it is always the beginning of
// the longer text's unescaping.
export function htmlUnescapePrefix(s: string, complete: boolean): string {
  if (!s.includes("&")) return s;
  let out = "";
  let last = 0;
  CHARREF.lastIndex = 0;
  for (let m = CHARREF.exec(s); m !== null; m = CHARREF.exec(s)) {
    // a reference that touches the end of a prefix could still grow
    if (!complete && m.index + m[0].length === s.length) return out + s.slice(last, m.index);
    out += s.slice(last, m.index) + replaceCharref(m[1]!);
    last = m.index + m[0].length;
  }
  if (!complete) {
    // "&", "&#" or "&#x" at the very end match nothing yet but may with more text
    const amp = s.lastIndexOf("&");
    if (amp >= last && /^&(?:#[xX]?)?$/.test(s.slice(amp))) return out + s.slice(last, amp);
  }
  return out + s.slice(last);
}
