import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  CONTEXT_LENGTH,
  clipVocabFromTokenizerJson,
  createClipTokenizer,
  loadClipTokenizer,
  type ClipTokenizer,
} from "../src/tokenizer/index.ts";
import { openAiClipVocab } from "./fixtures/tokenizer/openai-vocab.ts";

interface Reference {
  text: string;
  ids: number[];
}

function readJsonl<T>(name: string): T[] {
  const path = join(import.meta.dirname, "fixtures", "tokenizer", name);
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}

let tokenizer: ClipTokenizer;
const encode = (text: string) => Array.from(tokenizer.encode(text));

beforeAll(() => {
  tokenizer = createClipTokenizer(openAiClipVocab());
});

describe("clip.tokenize reference ids", () => {
  it("matches every line of OpenAI's output (ftfy 6.3.1 test strings and LAION-like captions)", () => {
    const references = readJsonl<Reference>("openai-clip-tokens.jsonl");
    expect(references).toHaveLength(561);
    const mismatches = references.filter((r) => JSON.stringify(encode(r.text)) !== JSON.stringify(r.ids));
    expect(mismatches.map((r) => r.text)).toEqual([]);
  });

  it("matches Python on random strings full of mojibake, entities, controls and odd characters", () => {
    const references = readJsonl<Reference>("fuzz-tokens.jsonl");
    expect(references.length).toBeGreaterThanOrEqual(600);
    const mismatches = references.filter((r) => JSON.stringify(encode(r.text)) !== JSON.stringify(r.ids));
    expect(mismatches.map((r) => r.text)).toEqual([]);
  });

  it("gives the documented examples", () => {
    expect(encode("a photo of a cat")).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(encode("Hello World!")).toEqual([49406, 3306, 1002, 256, 49407]);
  });

  it("encodes the empty string, and whitespace only, as start and end", () => {
    expect(encode("")).toEqual([49406, 49407]);
    expect(encode(" \n\t\u3000 ")).toEqual([49406, 49407]);
  });

  it("returns an Int32Array", () => {
    expect(tokenizer.encode("cat")).toBeInstanceOf(Int32Array);
  });

  it("keeps the special tokens written in the text, as OpenAI's BPE cache does", () => {
    expect(encode("<|startoftext|>a<|endoftext|>")).toEqual([49406, 49406, 320, 49407, 49407]);
  });
});

describe("truncation", () => {
  it("keeps 77 ids, the last one the end token", () => {
    const ids = encode("cat ".repeat(200));
    expect(ids).toHaveLength(CONTEXT_LENGTH);
    expect(ids[0]).toBe(49406);
    expect(ids[76]).toBe(49407);
    expect(ids.slice(1, 76)).toEqual(new Array(75).fill(2368));
  });

  it("is exact at the boundary: 75 tokens fit, the 76th is dropped", () => {
    expect(encode("cat ".repeat(75))).toEqual([49406, ...new Array(75).fill(2368), 49407]);
    expect(encode("cat ".repeat(76))).toEqual([49406, ...new Array(75).fill(2368), 49407]);
    expect(encode("cat ".repeat(74))).toHaveLength(76);
  });
});

describe("hostile input", () => {
  it("does not throw on lone surrogates, NUL and control characters", () => {
    const inputs = [
      "\ud800",
      "\udc00abc",
      "a\ud83d",
      "\ud83d\ud83d\ude00",
      "\x00",
      "\x00\x01\x02\x1b[31mred\x1b[0m\x7f",
      "\x1b",
      "\x1b[",
      "\ufeff\ufffe\uffff",
      "&#0;&#xd800;&#x110000;&#99999999999999999999999;",
      "\u0085\r\n\r\u2028\u2029",
      "&",
      "<",
    ];
    for (const text of inputs) {
      const ids = encode(text);
      expect(ids[0]).toBe(49406);
      expect(ids[ids.length - 1]).toBe(49407);
    }
    // ftfy turns a lone surrogate into U+FFFD, whose UTF-8 bytes are three byte tokens
    expect(encode("\ud800")).toEqual(encode("\ufffd"));
  });
});

describe("huge inputs", () => {
  const MB = 1024 * 1024;
  const cases: Array<[string, () => string]> = [
    ["10 MB of words", () => "a photo of a cat on a mat ".repeat((10 * MB) / 26)],
    ["10 MB without whitespace", () => "abcdefghij".repeat(MB)],
    ["10 MB of one letter", () => "a".repeat(10 * MB)],
    ["10 MB without whitespace, non-ASCII", () => "é日".repeat(5 * MB)],
    ["10 MB of symbols", () => "!?".repeat(5 * MB)],
    ["10 MB of whitespace, then words", () => " ".repeat(10 * MB) + "a photo of a cat"],
    ["10 MB of line breaks, then words", () => "\r\n".repeat(5 * MB) + "a photo of a cat"],
    ["10 MB of mojibake lines", () => "cafÃ© â€œnoirâ€\n".repeat((10 * MB) / 16)],
  ];
  for (const [name, make] of cases) {
    it(`${name} finishes well under a second`, () => {
      const text = make();
      const started = performance.now();
      const ids = tokenizer.encode(text);
      const elapsed = performance.now() - started;
      expect(ids[0]).toBe(49406);
      expect(ids[ids.length - 1]).toBe(49407);
      expect(elapsed).toBeLessThan(1000);
    });
  }

  it("gives the same ids for whitespace then words as for the words", () => {
    expect(encode(" ".repeat(10 * MB) + "a photo of a cat")).toEqual(encode("a photo of a cat"));
    expect(encode("\n".repeat(3 * MB) + "a photo of a cat")).toEqual(encode("a photo of a cat"));
  });
});

describe("loading a Hugging Face tokenizer.json", () => {
  it("gives the same ids as the vocabulary built from OpenAI's merges", async () => {
    const vocab = openAiClipVocab();
    // the shape of openai/clip-vit-base-patch32's tokenizer.json, merges in both HF styles
    const json = {
      model: {
        type: "BPE",
        vocab: Object.fromEntries(vocab.encoder),
        merges: vocab.merges.map((m, i) => (i % 2 === 0 ? m : m.split(" "))),
      },
      added_tokens: [
        { id: 49406, content: "<|startoftext|>" },
        { id: 49407, content: "<|endoftext|>" },
      ],
    };
    const dir = mkdtempSync(join(inject("tmpRoot"), "tokenizer-"));
    const path = join(dir, "tokenizer.json");
    writeFileSync(path, JSON.stringify(json));
    const loaded = await loadClipTokenizer(path);
    for (const { text, ids } of readJsonl<Reference>("openai-clip-tokens.jsonl").slice(0, 200)) {
      expect(Array.from(loaded.encode(text))).toEqual(ids);
    }
    expect(clipVocabFromTokenizerJson(json).merges[1]).toBe(vocab.merges[1]);
  });

  it("rejects a file that is not a BPE tokenizer.json", () => {
    expect(() => clipVocabFromTokenizerJson({ model: {} })).toThrow(/model\.vocab/);
  });
});
