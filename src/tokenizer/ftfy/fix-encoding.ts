import { isBad } from "./badness.ts";
import { ALTERED_UTF8_RE, replaceLossySequences, restoreByteA0 } from "./byte-fixes.ts";
import { ASCII_ONLY_RE, C1_CONTROL_RE, UTF8_DETECTOR_RE } from "./chardata.ts";
import { CHARMAPS, decodeUtf8Variants, decodeWindows1252, encodeCharmap } from "./codecs.ts";
import { fixC1Controls } from "./fixes.ts";

// ftfy.fix_encoding with its default configuration: undo mojibake (UTF-8 read in a single-byte
// codec) one layer at a time until nothing changes.

export function fixEncoding(text: string): string {
  for (;;) {
    const fixed = fixEncodingOneStep(text);
    if (fixed === text) return text;
    text = fixed;
  }
}

const ALTERED_UTF8_TEST = new RegExp(ALTERED_UTF8_RE.source);
const UTF8_DETECTOR_TEST = new RegExp(UTF8_DETECTOR_RE.source, "u");
const C1_CONTROL_TEST = new RegExp(C1_CONTROL_RE.source);

function fixEncodingOneStep(text: string): string {
  if (text.length === 0 || ASCII_ONLY_RE.test(text) || !isBad(text)) return text;

  let latin1Possible = false;
  for (const codec of CHARMAPS) {
    let bytes = encodeCharmap(text, codec);
    if (bytes === null) continue;
    if (codec.name === "latin-1") latin1Possible = true;
    // (ftfy skips this for MacRoman, where it would misread an en dash before a space)
    if (codec.name !== "macroman" && ALTERED_UTF8_TEST.test(bytes)) bytes = restoreByteA0(bytes);
    if (codec.sloppy) bytes = replaceLossySequences(bytes);
    const decoded = decodeUtf8Variants(bytes);
    if (decoded !== null) return decoded;
  }

  // UTF-8 mojibake mixed into otherwise fine text: fix just those runs
  if (UTF8_DETECTOR_TEST.test(text)) {
    const fixed = decodeInconsistentUtf8(text);
    if (fixed !== text) return fixed;
  }

  // Latin-1 with C1 controls: assume they were meant as Windows-1252. (ftfy means to leave
  // text alone when it also fits Windows-1252, but checks for a codec name that is never in
  // its list, so it always tries this; strict Windows-1252 fails on its five undefined bytes.)
  if (latin1Possible) {
    const fixed = decodeWindows1252(encodeCharmap(text, CHARMAPS[0]!)!);
    if (fixed !== null && fixed !== text) return fixed;
  }

  if (C1_CONTROL_TEST.test(text)) return fixC1Controls(text);
  return text;
}

function decodeInconsistentUtf8(text: string): string {
  return text.replace(UTF8_DETECTOR_RE, (run) =>
    // shorter than the whole text, so this cannot recurse forever
    run.length < text.length && isBad(run) ? fixEncoding(run) : run,
  );
}

