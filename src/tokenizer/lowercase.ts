// Python's str.lower(). For every character but one it is the same full, context-free mapping
// as String.prototype.toLowerCase() ('İ' -> 'i̇', two code units, in both). The exception is
// capital sigma, lowered to final 'ς' or medial 'σ' depending on its neighbours; that rule
// is reimplemented here (as CPython's handle_capital_sigma does) so that a prefix of a text
// can be lowered without guessing at what follows.

const SIGMA = "\u03a3";
const CASED = /\p{Cased}/u;
const CASE_IGNORABLE = /\p{Case_Ignorable}/u;

// `complete` says whether `s` is the whole text or only a prefix of a longer one. For a
// prefix the result stops before a sigma whose form depends on characters not seen yet.
export function pythonLowerPrefix(s: string, complete: boolean): string {
  let at = s.indexOf(SIGMA);
  if (at < 0) return s.toLowerCase();
  let out = "";
  let last = 0;
  while (at >= 0) {
    const final = isFinalSigma(s, at, complete);
    if (final === undefined) return out + s.slice(last, at).toLowerCase();
    out += s.slice(last, at).toLowerCase() + (final ? "\u03c2" : "\u03c3");
    last = at + 1;
    at = s.indexOf(SIGMA, last);
  }
  return out + s.slice(last).toLowerCase();
}

export function pythonLower(s: string): string {
  return pythonLowerPrefix(s, true);
}

// Final_Sigma: cased (case-ignorable)* Σ not followed by (case-ignorable)* cased.
// undefined: the answer lies beyond the end of an incomplete text.
function isFinalSigma(s: string, at: number, complete: boolean): boolean | undefined {
  let j = at;
  let before = "";
  while (j > 0) {
    before = charBefore(s, j);
    j -= before.length;
    if (!CASE_IGNORABLE.test(before)) break;
    before = "";
  }
  if (before === "" || !CASED.test(before)) return false;
  j = at + 1;
  while (j < s.length) {
    const after = String.fromCodePoint(s.codePointAt(j)!);
    if (!CASE_IGNORABLE.test(after)) return !CASED.test(after);
    j += after.length;
  }
  return complete ? true : undefined;
}

function charBefore(s: string, end: number): string {
  const lo = s.charCodeAt(end - 1);
  if (lo >= 0xdc00 && lo <= 0xdfff && end >= 2) {
    const hi = s.charCodeAt(end - 2);
    if (hi >= 0xd800 && hi <= 0xdbff) return s.slice(end - 2, end);
  }
  return s.slice(end - 1, end);
}
