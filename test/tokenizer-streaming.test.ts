import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createPieceCache } from "../src/tokenizer/bpe-cache.ts";
import { buildBpeModel, type BpeModel } from "../src/tokenizer/bpe-model.ts";
import { bpeComplete, bpePrefix } from "../src/tokenizer/bpe.ts";
import { bytesToUnicode, utf8Bytes } from "../src/tokenizer/byte-level.ts";
import { appendChunkIds } from "../src/tokenizer/chunk-ids.ts";
import { encodeFirstIds } from "../src/tokenizer/encode.ts";
import { fixText } from "../src/tokenizer/ftfy/fix-text.ts";
import type { PieceContext } from "../src/tokenizer/piece-ids.ts";
import { openAiClipVocab } from "./fixtures/tokenizer/openai-vocab.ts";

// The tokenizer stops early: it fixes, unescapes and BPEs only as much text as the first ids
// need. These tests hold it to the ids of processing the whole text in one go.

let ctx: PieceContext;
let model: BpeModel;

beforeAll(() => {
  const vocab = openAiClipVocab();
  model = buildBpeModel(vocab);
  ctx = { model, cache: createPieceCache(), startId: 49406, endId: 49407 };
});

function wholeTextIds(text: string, need: number): number[] {
  const out: number[] = [];
  appendChunkIds(ctx, fixText(text), true, out, Infinity);
  return out.slice(0, need);
}

function fixtureTexts(name: string): string[] {
  return readFileSync(join(import.meta.dirname, "fixtures", "tokenizer", name), "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => (JSON.parse(line) as { text: string }).text);
}

// deterministic pseudo-random numbers
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

const ATOMS = [
  "a", "b", "é", "Σ", "σ", "&amp;", "&", "#", "1", "2", ";", "'", "s", "re", "<", "|", "startoftext",
  "\u0301", "\u0345", "Ã©", "â€™", "日本", "😀", "!", "?", "the", "cat", "&#65;", "&#x41;", "&lt;",
  "&#000000000000000065;", "\r\n", "\n", " ", "\u3000", "\xa0", "ﬁ", "Ｆ", "\x00", "\x1b[0m", "'re",
  "İ", "ſ", "Ã", "\u2028", "\ud800", "ΑΣ",
];

function randomText(random: () => number): string {
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
  const length = pick([10, 100, 1000, 5000, 20_000, 60_000]);
  const mode = random();
  const solid = ATOMS.filter((a) => !/\s/.test(a));
  let text = "";
  while (text.length < length) {
    if (mode < 0.3) text += pick(ATOMS);
    else if (mode < 0.6) text += random() < 0.98 ? pick(solid) : " ";
    else if (mode < 0.8) text += pick(["a", "b", "c", "ab", "é", "Σ", "&"]).repeat(1 + Math.floor(random() * 50));
    else text += pick(ATOMS).repeat(1 + Math.floor(random() * 300));
  }
  return text;
}

describe("stopping early gives the ids of the whole text", () => {
  it("on the reference strings", () => {
    for (const text of [...fixtureTexts("openai-clip-tokens.jsonl"), ...fixtureTexts("fuzz-tokens.jsonl")]) {
      for (const need of [75, 5]) {
        expect(encodeFirstIds(ctx, text, need)).toEqual(wholeTextIds(text, need));
      }
    }
  });

  it("on long random strings, with and without whitespace", () => {
    const random = lcg(7);
    for (let i = 0; i < 100; i++) {
      const text = randomText(random);
      for (const need of [75, 3, 400]) {
        expect(encodeFirstIds(ctx, text, need), JSON.stringify(text.slice(0, 80))).toEqual(wholeTextIds(text, need));
      }
    }
  });

  it("on a word far longer than a window, whatever it is made of", () => {
    for (const unit of ["a", "ab", "abc", "the", "é", "日本", "😀", "!?", "qwertyuiop", "0"]) {
      const text = unit.repeat(Math.ceil(30_000 / unit.length));
      expect(encodeFirstIds(ctx, text, 75)).toEqual(wholeTextIds(text, 75));
    }
  });
});

// OpenAI's bpe() loop, verbatim in spirit: merge every occurrence of the best-ranked pair.
let ranks: Map<string, number> | undefined;

function referenceBpe(bytes: Uint8Array): number[] {
  const chars = bytesToUnicode();
  const { encoder, merges } = openAiClipVocab();
  ranks ??= new Map(merges.map((m, i) => [m, i]));
  let word = Array.from(bytes, (b) => chars[b]!);
  word[word.length - 1] += "</w>";
  for (;;) {
    let best: string | undefined;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < word.length; i++) {
      const rank = ranks.get(`${word[i]} ${word[i + 1]}`);
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        best = `${word[i]} ${word[i + 1]}`;
      }
    }
    if (best === undefined) break;
    const [first, second] = best.split(" ") as [string, string];
    const next: string[] = [];
    for (let i = 0; i < word.length; i++) {
      if (word[i] === first && word[i + 1] === second) {
        next.push(first + second);
        i++;
      } else {
        next.push(word[i]!);
      }
    }
    word = next;
  }
  return word.map((token) => encoder.get(token)!);
}

describe("BPE", () => {
  const random = lcg(11);
  const words: string[] = [];
  for (let i = 0; i < 300; i++) {
    const alphabet = ["ab", "abc", "abcdefghijklmnopqrstuvwxyz", "aeiou", "é日😀!", "eenn"][i % 6]!;
    const length = [1, 2, 5, 12, 40, 150][Math.floor(random() * 6)]!;
    let word = "";
    while ([...word].length < length) word += [...alphabet][Math.floor(random() * [...alphabet].length)];
    words.push(word);
  }

  it("merges exactly as OpenAI's loop does", () => {
    for (const word of words) expect(bpeComplete(model, utf8Bytes(word))).toEqual(referenceBpe(utf8Bytes(word)));
  });

  it("only keeps, from a prefix of a word, tokens the whole word starts with", () => {
    let kept = 0;
    for (const word of words) {
      const bytes = utf8Bytes(word);
      const full = bpeComplete(model, bytes);
      for (const window of [3, 8, 20, 64]) {
        if (window >= bytes.length) continue;
        // knowing the rest of the word, and not knowing it
        for (const known of [bytes, bytes.subarray(0, Math.min(bytes.length, window + 10))]) {
          const ids = bpePrefix(model, { bytes: known, complete: known.length === bytes.length }, window);
          expect(ids).toEqual(full.slice(0, ids.length));
          kept += ids.length;
        }
      }
    }
    // and the proof is not vacuous
    expect(kept).toBeGreaterThan(1000);
  });
});

describe("piece cache", () => {
  it("stays within its size", () => {
    const cache = createPieceCache(3);
    for (const word of ["a", "b", "c", "d", "e"]) cache.set(word, [1]);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("e")).toEqual([1]);
  });
});
