import { htmlUnescapePrefix } from "./html-unescape.ts";
import { pythonLowerPrefix } from "./lowercase.ts";
import { appendPieceIds, type PieceContext } from "./piece-ids.ts";
import { LOOKAHEAD, PIECE_RE } from "./pre-split.ts";

// Everything OpenAI does after ftfy: html.unescape twice, lowercase, pre-split, BPE (the
// whitespace clean-up changes no ids, see whitespace.ts), for one chunk of ftfy's output.
//
// A chunk starts at the beginning of the text or at whitespace, and is either `complete`
// (it ends at the end of the text or just before whitespace) or a prefix of text that goes
// on. No step joins characters across whitespace (an HTML reference may contain some kinds
// of whitespace, but a reference name cannot, so the result is the same as if it stopped
// there), so ids of the whole text are the ids of its complete chunks, one after the other.
// For a prefix, only ids that no continuation can change are appended.
export function appendChunkIds(ctx: PieceContext, chunk: string, complete: boolean, out: number[], need: number): void {
  const text = pythonLowerPrefix(htmlUnescapePrefix(htmlUnescapePrefix(chunk, complete), complete), complete);
  PIECE_RE.lastIndex = 0;
  for (let m = PIECE_RE.exec(text); m !== null && out.length < need; m = PIECE_RE.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    if (!complete) {
      // a special token or contraction may still form with what follows
      const first = text[start];
      if ((first === "<" || first === "'") && text.length - start < LOOKAHEAD) return;
      if (end === text.length) {
        // a run of letters or symbols may continue; a lone digit is final
        if (m[2] !== undefined || m[4] !== undefined) appendPieceIds(ctx, text, start, end, false, out, need);
        else if (m[3] !== undefined) appendPieceIds(ctx, text, start, end, true, out, need);
        return;
      }
    }
    appendPieceIds(ctx, text, start, end, true, out, need);
  }
}
