// The tokenizer the text script uses (transformers.js AutoTokenizer from the model
// folder), with the script's truncation to CLIP's 77-token context: the first 76
// ids and the end token.

import { basename, dirname } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';

export const CONTEXT = 77;

export type Tokenize = (text: string) => number[];

export async function loadTokenizer(modelDir: string): Promise<{ tokenize: Tokenize; untruncatedLength: (text: string) => number }> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dirname(modelDir) + '/';
  const tokenizer = await AutoTokenizer.from_pretrained(basename(modelDir), { local_files_only: true });
  const encode = (text: string) => tokenizer.encode(text) as number[];
  return {
    tokenize: (text) => {
      const ids = encode(text);
      return ids.length <= CONTEXT ? ids : [...ids.slice(0, CONTEXT - 1), ids[ids.length - 1]];
    },
    untruncatedLength: (text) => encode(text).length,
  };
}
