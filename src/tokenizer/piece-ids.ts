import type { PieceCache } from "./bpe-cache.ts";
import type { BpeModel } from "./bpe-model.ts";
import { bpeComplete, bpePrefix } from "./bpe.ts";
import { utf8Bytes, utf8Prefix } from "./byte-level.ts";
import { END_OF_TEXT, START_OF_TEXT } from "./vocab.ts";

// Ids of one pre-split piece. Pieces of ordinary length are BPE'd whole (and cached); a long
// one (a megabyte without spaces) only as far as the requested number of tokens, through a
// growing window whose leading tokens are proven final (bpePrefix).

export interface PieceContext {
  model: BpeModel;
  cache: PieceCache;
  startId: number;
  endId: number;
}

const CACHED_PIECE_CHARS = 64;
const LONG_PIECE_CHARS = 512;
const FIRST_WINDOW_BYTES = 1024;

// Appends the ids of text[start, end) to `out`, stopping at `need` ids in all. `complete`:
// the piece ends at `end`; otherwise it continues past what is known, and only ids that no
// continuation can change are appended.
export function appendPieceIds(
  ctx: PieceContext,
  text: string,
  start: number,
  end: number,
  complete: boolean,
  out: number[],
  need: number,
): void {
  if (complete && end - start <= LONG_PIECE_CHARS) {
    const piece = text.slice(start, end);
    let ids: readonly number[] | undefined;
    // special tokens survive the pipeline as themselves (OpenAI's BPE cache is seeded with them)
    if (piece === START_OF_TEXT) ids = [ctx.startId];
    else if (piece === END_OF_TEXT) ids = [ctx.endId];
    else ids = ctx.cache.get(piece);
    if (ids === undefined) {
      ids = bpeComplete(ctx.model, utf8Bytes(piece));
      if (piece.length <= CACHED_PIECE_CHARS) ctx.cache.set(piece, ids);
    }
    for (let i = 0; i < ids.length && out.length < need; i++) out.push(ids[i]!);
    return;
  }
  for (let window = FIRST_WINDOW_BYTES; ; window *= 2) {
    const known = utf8Prefix(text, start, end, window + ctx.model.maxTokenBytes + 4);
    const wholePiece = complete && known.end === end;
    const ids =
      wholePiece && window >= known.bytes.length
        ? bpeComplete(ctx.model, known.bytes)
        : bpePrefix(ctx.model, { bytes: known.bytes, complete: wholePiece }, window);
    if (out.length + ids.length >= need || window >= known.bytes.length) {
      for (let i = 0; i < ids.length && out.length < need; i++) out.push(ids[i]!);
      return;
    }
  }
}
