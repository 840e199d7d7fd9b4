import { WHITESPACE_CLASS } from "./whitespace.ts";

// OpenAI's pre-tokenizer pattern, compiled by the Python `regex` module with IGNORECASE:
//   <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// Case-insensitivity only matters for the literal alternatives (lowercased text still has
// 'ſ', which folds to 's'), so those are spelled out with their case variants instead of
// using JavaScript's /i, which would also change what [\p{L}] matches. One character is
// special under `regex` IGNORECASE: U+0345 (a combining mark that case-folds to a letter)
// is matched by no alternative at all, so it separates pieces like whitespace.

function anyCase(literal: string): string {
  let out = "";
  for (const ch of literal) {
    if (ch === "s") out += "[sS\u017f]";
    else if (/[a-z]/.test(ch)) out += `[${ch}${ch.toUpperCase()}]`;
    else out += ch === "|" ? "\\|" : ch;
  }
  return out;
}

const SPECIAL_OR_CONTRACTION = ["<|startoftext|>", "<|endoftext|>", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"]
  .map(anyCase)
  .join("|");

// groups: 1 special token or contraction, 2 letters, 3 one digit, 4 other symbols
export const PIECE_RE = new RegExp(
  `(${SPECIAL_OR_CONTRACTION})|(\\p{L}+)|(\\p{N})|([^${WHITESPACE_CLASS}\\p{L}\\p{N}\\u0345]+)`,
  "gu",
);

// The longest alternative that must be tried before a later one can win; a match starting
// closer than this to the end of a text prefix might come out differently in the full text.
export const LOOKAHEAD = "<|startoftext|>".length;
