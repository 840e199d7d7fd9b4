import { createPieceCache } from "./bpe-cache.ts";
import { buildBpeModel } from "./bpe-model.ts";
import { encodeFirstIds } from "./encode.ts";
import type { PieceContext } from "./piece-ids.ts";
import { END_OF_TEXT, START_OF_TEXT, readClipVocab, type ClipVocab } from "./vocab.ts";

// OpenAI's clip.tokenize(text, truncate=True) for one text, without the zero padding:
// [start, ...tokens, end], at most CONTEXT_LENGTH ids; when longer, the first
// CONTEXT_LENGTH - 1 are kept and the end token is put last.

export const CONTEXT_LENGTH = 77;

export interface ClipTokenizer {
  encode(text: string): Int32Array;
  readonly startId: number;
  readonly endId: number;
}

export function createClipTokenizer(vocab: ClipVocab, options: { cacheSize?: number } = {}): ClipTokenizer {
  const startId = vocab.encoder.get(START_OF_TEXT);
  const endId = vocab.encoder.get(END_OF_TEXT);
  if (startId === undefined || endId === undefined) {
    throw new Error(`the vocabulary lacks ${START_OF_TEXT} or ${END_OF_TEXT}`);
  }
  const ctx: PieceContext = {
    model: buildBpeModel(vocab),
    cache: createPieceCache(options.cacheSize),
    startId,
    endId,
  };
  return {
    startId,
    endId,
    encode(text: string): Int32Array {
      const tokens = encodeFirstIds(ctx, String(text), CONTEXT_LENGTH - 2);
      const ids = new Int32Array(tokens.length + 2);
      ids[0] = startId;
      ids.set(tokens, 1);
      ids[tokens.length + 1] = endId;
      return ids;
    },
  };
}

// The tokenizer of a model folder: its Hugging Face tokenizer.json.
export async function loadClipTokenizer(tokenizerJsonPath: string): Promise<ClipTokenizer> {
  return createClipTokenizer(await readClipVocab(tokenizerJsonPath));
}
