import { readFile } from "node:fs/promises";
import { byteVocabOrder } from "./byte-level.ts";

// What the tokenizer needs from a CLIP vocabulary: token string -> id, and the BPE merges in
// priority order, each as "left right" (OpenAI's merges file and Hugging Face's format).
export interface ClipVocab {
  encoder: Map<string, number>;
  merges: string[];
}

export const START_OF_TEXT = "<|startoftext|>";
export const END_OF_TEXT = "<|endoftext|>";

// OpenAI's bpe_simple_vocab_16e6.txt: a header line, then merges. CLIP uses the first
// 49152 - 256 - 2 of them, so that byte tokens + merges + 2 specials make 49408 ids.
export function clipVocabFromOpenAiMerges(bpeText: string): ClipVocab {
  const lines = bpeText.split("\n");
  const merges = lines.slice(1, 49152 - 256 - 2 + 1);
  const tokens = byteVocabOrder();
  const all = [...tokens, ...tokens.map((t) => t + "</w>")];
  for (const merge of merges) all.push(merge.split(" ").join(""));
  all.push(START_OF_TEXT, END_OF_TEXT);
  const encoder = new Map<string, number>();
  // Python's dict(zip(vocab, range(...))) keeps the last id of a duplicate; do the same.
  all.forEach((token, id) => encoder.set(token, id));
  return { encoder, merges };
}

interface TokenizerJson {
  model?: { vocab?: Record<string, number>; merges?: Array<string | [string, string]> };
  added_tokens?: Array<{ id: number; content: string }>;
}

// A Hugging Face tokenizer.json (the file shipped with transformers.js models).
export function clipVocabFromTokenizerJson(json: unknown): ClipVocab {
  const parsed = json as TokenizerJson;
  const vocab = parsed?.model?.vocab;
  const rawMerges = parsed?.model?.merges;
  if (!vocab || typeof vocab !== "object" || !Array.isArray(rawMerges)) {
    throw new Error("tokenizer.json: expected model.vocab (object) and model.merges (array)");
  }
  const encoder = new Map<string, number>(Object.entries(vocab));
  for (const added of parsed.added_tokens ?? []) {
    if (!encoder.has(added.content)) encoder.set(added.content, added.id);
  }
  const merges = rawMerges.map((m) => (Array.isArray(m) ? `${m[0]} ${m[1]}` : m));
  return { encoder, merges };
}

export async function readClipVocab(tokenizerJsonPath: string): Promise<ClipVocab> {
  const text = await readFile(tokenizerJsonPath, "utf8");
  return clipVocabFromTokenizerJson(JSON.parse(text));
}
