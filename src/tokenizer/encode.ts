import { appendChunkIds } from "./chunk-ids.ts";
import { fixTextChunks } from "./ftfy/fix-text.ts";
import type { PieceContext } from "./piece-ids.ts";
import { WHITESPACE_CLASS, isWhitespaceCode } from "./whitespace.ts";

// The first `need` ids of a text, doing only the work those ids depend on.
//
// ftfy's output is pulled segment by segment and tokenized in chunks of about CHUNK chars
// cut just before whitespace, where the rest of the pipeline cannot join anything (see
// chunk-ids.ts); tokenizing stops once `need` ids exist. A stretch without whitespace is
// tried as a prefix of growing length, keeping only the ids that are already final, so a
// 10 MB word costs about as much as its first few kilobytes. The ids are exactly those of
// tokenizing the whole text and keeping the first `need`.

const CHUNK = 4096;
const LEADING_SPACE = new RegExp(`[${WHITESPACE_CLASS}]*`, "y");

export function encodeFirstIds(ctx: PieceContext, text: string, need: number): number[] {
  const out: number[] = [];
  const fixed = fixTextChunks(text, { condenseWhitespace: true });
  let exhausted = false;
  let pending = ""; // fixed text not tokenized yet; starts where a chunk may start
  let target = CHUNK;
  while (out.length < need) {
    while (!exhausted && pending.length < target) {
      const next = fixed.next();
      if (next.done) exhausted = true;
      else pending += next.value;
    }
    // whitespace gives no ids, and a chunk may start after it
    LEADING_SPACE.lastIndex = 0;
    LEADING_SPACE.test(pending);
    if (LEADING_SPACE.lastIndex > 0) pending = pending.slice(LEADING_SPACE.lastIndex);
    if (pending.length === 0) {
      if (exhausted) break;
      continue;
    }
    if (exhausted && pending.length <= target) {
      appendChunkIds(ctx, pending, true, out, need);
      break;
    }
    const limit = Math.min(pending.length, target);
    const cut = lastSpaceBefore(pending, limit);
    if (cut > 0) {
      appendChunkIds(ctx, pending.slice(0, cut), true, out, need);
      pending = pending.slice(cut);
      target = CHUNK;
      continue;
    }
    // no whitespace within `limit`: take what a prefix of that length already decides
    const attempt: number[] = [];
    appendChunkIds(ctx, pending.slice(0, limit), false, attempt, need - out.length);
    if (out.length + attempt.length >= need) {
      out.push(...attempt);
      break;
    }
    target *= 2;
  }
  return out;
}

function lastSpaceBefore(text: string, limit: number): number {
  for (let i = limit - 1; i > 0; i--) {
    if (isWhitespaceCode(text.charCodeAt(i))) return i;
  }
  return -1;
}
