// encode_text: UTF-8 text -> CLIP token ids -> text tower -> vectors.

import { Tensor, AutoTokenizer } from '@huggingface/transformers';
import { basename } from 'node:path';
import type { EncoderOptions } from '../options.ts';
import { loadTower } from '../model/towers.ts';
import { rowsOf } from './normalize.ts';
import type { Encode } from './types.ts';

// Invalid UTF-8 becomes U+FFFD rather than failing the row: captions scraped
// from the web often carry a stray byte, and a vector for the rest is useful.
const utf8 = new TextDecoder('utf-8', { fatal: false });

export async function createTextEncoder(options: EncoderOptions): Promise<Encode> {
  const model = await loadTower('text', options);
  const tokenize = await loadTokenizer(options);
  return async (values) => {
    const ids = values.map((v) => tokenize(utf8.decode(v)));
    const out = await model(paddedBatch(ids));
    return rowsOf(out.text_embeds.data, values.length, options.normalize);
  };
}

async function loadTokenizer(options: EncoderOptions): Promise<(text: string) => number[]> {
  const tokenizer = await AutoTokenizer.from_pretrained(basename(options.modelDir), { local_files_only: true });
  return (text) => {
    const ids = tokenizer.encode(text) as number[];
    return ids.length <= 77 ? ids : [...ids.slice(0, 76), ids[ids.length - 1]];
  };
}

/** Pads to the longest row: the causal mask keeps the end token from seeing padding. */
function paddedBatch(ids: number[][]): Record<string, Tensor> {
  const width = Math.max(...ids.map((row) => row.length));
  const inputIds = new BigInt64Array(ids.length * width);
  const mask = new BigInt64Array(ids.length * width);
  ids.forEach((row, r) => {
    row.forEach((id, c) => {
      inputIds[r * width + c] = BigInt(id);
      mask[r * width + c] = 1n;
    });
  });
  return {
    input_ids: new Tensor('int64', inputIds, [ids.length, width]),
    attention_mask: new Tensor('int64', mask, [ids.length, width]),
  };
}
