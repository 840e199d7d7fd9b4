import { fixSegment } from "./fix-segment.ts";

// ftfy.fix_text: the text is fixed in independent segments, each a line (ending with its
// "\n") or, inside a longer line, a block of MAX_SEGMENT code points. HTML unescaping is on
// until a segment contains "<" (then the text is presumably HTML), and stays off for the
// segments after it.
//
// Produced lazily, a block at a time, so a caller that needs only the beginning of the fixed
// text (the tokenizer keeps 75 tokens) never fixes the rest. Runs of segments made only of
// characters that ftfy maps one by one (plain ASCII, whitespace, invisible controls) skip the
// full machinery.

export const MAX_SEGMENT = 1_000_000;
const BLOCK = 65_536;
const REPEATED_SEGMENT_CHARS = 256;

export interface FixTextOptions {
  // Allow a run of whitespace-only output to come out as a single " " (or nothing when the
  // input was only invisible controls). Whitespace runs never change token ids, and this
  // makes megabytes of blank lines cheap.
  condenseWhitespace?: boolean;
}

export function fixText(text: string): string {
  let out = "";
  for (const chunk of fixTextChunks(text)) out += chunk;
  return out;
}

// Character classes for the fast path, one flag byte per UTF-16 code unit:
// SIMPLE: ASCII other than "&" (HTML entities) and ESC (terminal escapes), plus non-ASCII
// whitespace and invisible controls. A segment made only of these is never "bad" (no
// mojibake fix applies) and NFC leaves it alone, so fixing it is the per-character mapping
// of mapSimple. AMP: "&", simple once unescaping is off. BLANK: fixes to whitespace or to
// nothing; REMOVED: fixes to nothing.
const SIMPLE = 1;
const AMP = 2;
const BLANK = 4;
const REMOVED = 8;
const FLAGS = new Uint8Array(0x10000);
const mark = (flags: number, ...ranges: Array<[number, number]>) => {
  for (const [from, to] of ranges) for (let c = from; c <= to; c++) FLAGS[c]! |= flags;
};
const REMOVED_RANGES: Array<[number, number]> = [
  [0x00, 0x08], [0x0b, 0x0b], [0x0e, 0x1f], [0x7f, 0x7f], [0x206a, 0x206f], [0xfeff, 0xfeff], [0xfff9, 0xfffc],
];
// (U+2000 and U+2001 are left out: NFC turns them into U+2002 and U+2003)
const SPACE_RANGES: Array<[number, number]> = [
  [0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2002, 0x200a],
  [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000],
];
mark(SIMPLE, [0x00, 0x7f], ...SPACE_RANGES, ...REMOVED_RANGES);
mark(BLANK, ...SPACE_RANGES, ...REMOVED_RANGES);
mark(REMOVED, ...REMOVED_RANGES);
FLAGS[0x1b] = 0; // ESC starts terminal escapes ("\x1b[31m"), which only fixSegment removes
FLAGS[0x26] = AMP;

// End of the run of simple characters from `start`, looking at most one segment ahead so a
// long text costs only as much as is consumed.
function simpleRunEnd(text: string, start: number, unescape: boolean): number {
  const stop = unescape ? SIMPLE : SIMPLE | AMP;
  const limit = Math.min(text.length, start + MAX_SEGMENT);
  for (let i = start; i < limit; i++) {
    if ((FLAGS[text.charCodeAt(i)]! & stop) === 0) return i;
  }
  return limit;
}

// what mapSimple makes of a block: only whitespace (" "), nothing (""), or text (null)
function blankOutput(block: string): string | null {
  let allRemoved = true;
  for (let i = 0; i < block.length; i++) {
    const flags = FLAGS[block.charCodeAt(i)]!;
    if ((flags & BLANK) === 0) return null;
    if ((flags & REMOVED) === 0) allRemoved = false;
  }
  return allRemoved ? "" : " ";
}

const REMOVED_RE = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;

function mapSimple(text: string): string {
  return text.replace(REMOVED_RE, "").replace(/\r\n?|[\u2028\u2029]/g, "\n").replace(/\u3000/g, " ");
}

export function* fixTextChunks(text: string, options: FixTextOptions = {}): Generator<string, void, undefined> {
  const repeated = new Map<string, string>();
  let unescape = true;
  let pos = 0;
  while (pos < text.length) {
    const end = lastSegmentEndWithin(text, pos, simpleRunEnd(text, pos, unescape));
    if (end > pos) {
      for (const [from, to] of simpleBlocks(text, pos, end)) {
        const block = text.slice(from, to);
        const blank = options.condenseWhitespace ? blankOutput(block) : null;
        yield blank ?? mapSimple(block);
      }
      if (unescape && text.slice(pos, end).includes("<")) unescape = false;
      pos = end;
      continue;
    }
    const segmentEnd = nextSegmentEnd(text, pos);
    const segment = text.slice(pos, segmentEnd);
    if (unescape && segment.includes("<")) unescape = false;
    if (segment.length <= REPEATED_SEGMENT_CHARS) {
      // texts that repeat a line many times (thousands of "&nbsp;" lines) fix it once
      const key = (unescape ? "1" : "0") + segment;
      let fixed = repeated.get(key);
      if (fixed === undefined) {
        fixed = fixSegment(segment, unescape);
        if (repeated.size < 1024) repeated.set(key, fixed);
      }
      yield fixed;
    } else {
      yield fixSegment(segment, unescape);
    }
    pos = segmentEnd;
  }
}

// End of the segment starting at `start`.
export function nextSegmentEnd(text: string, start: number): number {
  // a segment is at most 2 * MAX_SEGMENT code units, so never search further
  const newline = indexOfNewline(text, start, start + 2 * MAX_SEGMENT + 1);
  const end = newline < 0 ? Math.min(text.length, start + 2 * MAX_SEGMENT + 1) : newline + 1;
  if (end - start <= MAX_SEGMENT) return end;
  // MAX_SEGMENT counts code points; a UTF-16 surrogate pair is one
  let i = start;
  for (let count = 0; count < MAX_SEGMENT && i < end; count++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < end && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return i;
}

// The furthest segment boundary in [start, limit], `start` being a segment start and the
// text in between containing no surrogates (so code points are code units).
function lastSegmentEndWithin(text: string, start: number, limit: number): number {
  if (limit === text.length) return limit;
  const newline = lastIndexOfNewline(text, start, limit);
  let end = newline >= 0 ? newline + 1 : start;
  while (limit - end >= MAX_SEGMENT) end += MAX_SEGMENT;
  return end;
}

// [start, end) cut into blocks of about BLOCK chars for lazy mapping. A CR LF pair is kept
// together, except where ftfy's segmentation cuts a very long line between them: ftfy fixes
// each segment on its own, so there the "\r" and the "\n" become two line breaks.
function* simpleBlocks(text: string, start: number, end: number): Generator<[number, number]> {
  const cuts = longLineCuts(text, start, end);
  let from = start;
  while (from < end) {
    let to = Math.min(end, from + BLOCK);
    if (cuts.length > 0 && cuts[0]! <= to) to = cuts.shift()!;
    else if (to < end && text.charCodeAt(to - 1) === 0x0d && text.charCodeAt(to) === 0x0a) to++;
    yield [from, to];
    from = to;
  }
}

// Segment boundaries inside lines longer than MAX_SEGMENT within [start, end). Such a line
// contains a line-break-free half segment at some multiple of half a segment from `start`.
function longLineCuts(text: string, start: number, end: number): number[] {
  const cuts: number[] = [];
  const half = MAX_SEGMENT / 2;
  let lineSeen = -1;
  for (let probe = start; probe + half <= end; probe += half) {
    if (indexOfNewline(text, probe, probe + half) >= 0) continue;
    const before = lastIndexOfNewline(text, start, probe);
    const lineStart = before < 0 ? start : before + 1;
    if (lineStart === lineSeen) continue;
    lineSeen = lineStart;
    const after = indexOfNewline(text, probe, end);
    const lineEnd = after < 0 ? end : after + 1;
    for (let cut = lineStart + MAX_SEGMENT; cut < lineEnd; cut += MAX_SEGMENT) {
      if (cuts.length === 0 || cut > cuts[cuts.length - 1]!) cuts.push(cut);
    }
  }
  return cuts;
}

// Searches confined to [from, to): String.prototype.lastIndexOf would otherwise scan back to
// the start of a long text every time.
function indexOfNewline(text: string, from: number, to: number): number {
  const at = text.slice(from, to).indexOf("\n");
  return at < 0 ? -1 : from + at;
}

function lastIndexOfNewline(text: string, from: number, to: number): number {
  const at = text.slice(from, to).lastIndexOf("\n");
  return at < 0 ? -1 : from + at;
}
