// encode_text: UTF-8 text -> CLIP token ids (OpenAI's tokenizer, exactly) -> text tower -> vectors.

import { join } from 'node:path';
import type { EncoderOptions } from '../options.ts';
import { loadTower, type Feed } from '../model/towers.ts';
import { loadClipTokenizer } from '../tokenizer/index.ts';
import { rowsOf } from './l2.ts';
import type { Encode } from './types.ts';

// Invalid UTF-8 becomes U+FFFD rather than failing the row: captions scraped
// from the web often carry a stray byte, and a vector for the rest is useful.
const utf8 = new TextDecoder('utf-8', { fatal: false });

export async function createTextEncoder(options: EncoderOptions, log: (line: string) => void): Promise<Encode> {
  const [tokenizer, { run: model }] = await Promise.all([loadClipTokenizer(join(options.modelDir, 'tokenizer.json')), loadTower('text', options, log)]);
  return async (values) => {
    const started = performance.now();
    const ids = values.map((v) => tokenizer.encode(utf8.decode(v)));
    const tokenized = performance.now();
    const runs: string[] = [];
    // Rows of similar length share a model batch, so little compute goes to padding;
    // the causal mask makes a row's vector independent of its batch-mates.
    const order = ids.map((_, i) => i).sort((a, b) => ids[a].length - ids[b].length);
    const vectors = new Array<Float32Array>(values.length);
    for (let start = 0; start < order.length; start += options.batchSize) {
      const slice = order.slice(start, start + options.batchSize);
      const runStart = performance.now();
      const feeds = paddedBatch(slice.map((i) => ids[i]));
      const embeds = await model(feeds);
      if (options.trace) runs.push(`${feeds.input_ids.dims[1]}:${(performance.now() - runStart).toFixed(0)}`);
      rowsOf(embeds, slice.length, options.normalize).forEach((v, k) => (vectors[slice[k]] = v));
    }
    if (options.trace) {
      log(`trace: ${values.length} rows: tokenizing ${(tokenized - started).toFixed(0)} ms, model runs (width:ms) ${runs.join(' ')}, total ${(performance.now() - started).toFixed(0)} ms`);
    }
    return vectors;
  };
}

/** Pads to the longest row: the causal mask keeps the end token from seeing padding. */
function paddedBatch(ids: Int32Array[]): Record<string, Feed> {
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
    input_ids: { type: 'int64', data: inputIds, dims: [ids.length, width] },
    attention_mask: { type: 'int64', data: mask, dims: [ids.length, width] },
  };
}
