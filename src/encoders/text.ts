// encode_text: UTF-8 text -> CLIP token ids (OpenAI's tokenizer, exactly) -> text tower -> vectors.

import { join } from 'node:path';
import { Tensor } from '@huggingface/transformers';
import type { EncoderOptions } from '../options.ts';
import { loadTower } from '../model/towers.ts';
import { loadClipTokenizer } from '../tokenizer/index.ts';
import { rowsOf } from './normalize.ts';
import type { Encode } from './types.ts';

// Invalid UTF-8 becomes U+FFFD rather than failing the row: captions scraped
// from the web often carry a stray byte, and a vector for the rest is useful.
const utf8 = new TextDecoder('utf-8', { fatal: false });

export async function createTextEncoder(options: EncoderOptions): Promise<Encode> {
  const [tokenizer, model] = await Promise.all([loadClipTokenizer(join(options.modelDir, 'tokenizer.json')), loadTower('text', options)]);
  return async (values) => {
    const ids = values.map((v) => tokenizer.encode(utf8.decode(v)));
    const out = await model(paddedBatch(ids));
    return rowsOf(out.text_embeds.data, values.length, options.normalize);
  };
}

/** Pads to the longest row: the causal mask keeps the end token from seeing padding. */
function paddedBatch(ids: Int32Array[]): Record<string, Tensor> {
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
