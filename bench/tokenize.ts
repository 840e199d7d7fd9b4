// The tokenizer encode_text uses (src/tokenizer: OpenAI's clip.tokenize, read from
// the model folder's tokenizer.json), which also truncates to CLIP's 77-token
// context: the first 76 ids and the end token.

import { join } from 'node:path';
import { CONTEXT_LENGTH, loadClipTokenizer } from '../src/tokenizer/index.ts';

export const CONTEXT = CONTEXT_LENGTH;

export type Tokenize = (text: string) => number[];

export async function loadTokenizer(modelDir: string): Promise<Tokenize> {
  const tokenizer = await loadClipTokenizer(join(modelDir, 'tokenizer.json'));
  return (text) => Array.from(tokenizer.encode(text));
}
