// encode_text: UTF-8 text -> CLIP token ids (OpenAI's tokenizer, exactly) -> text tower -> vectors.

import { join } from 'node:path';
import { batchSizeOn, type EncoderOptions } from '../options.ts';
import { loadTower, type Feed } from '../model/towers.ts';
import { loadClipTokenizer } from '../tokenizer/index.ts';
import { rowsOf } from './l2.ts';
import type { Encoder } from './types.ts';

// Invalid UTF-8 becomes U+FFFD rather than failing the row: captions scraped
// from the web often carry a stray byte, and a vector for the rest is useful.
const utf8 = new TextDecoder('utf-8', { fatal: false });

// On the CPU a run holds at most this many tokens (16 full-length captions): onnxruntime's
// arena grows to the largest run, and 32x77 tokens took 70 MB where 16x77 take 38 MB, at
// the same speed per caption (2-core EPYC). A GPU keeps whole batches: it needs them long.
export const CPU_TOKENS_PER_RUN = 16 * 77;

export async function createTextEncoder(options: EncoderOptions, log: (line: string) => void): Promise<Encoder> {
  const [tokenizer, { run: model, device }] = await Promise.all([loadClipTokenizer(join(options.modelDir, 'tokenizer.json')), loadTower('text', options, log)]);
  const maxTokens = device === 'cpu' ? CPU_TOKENS_PER_RUN : Infinity;
  const encode: Encoder['encode'] = async (values, ready) => {
    const started = performance.now();
    const ids = values.map((v) => tokenizer.encode(utf8.decode(v)));
    const tokenized = performance.now();
    // Rows of similar length share a model batch, so little compute goes to padding;
    // the causal mask makes a row's vector independent of its batch-mates.
    const order = ids.map((_, i) => i).sort((a, b) => ids[a].length - ids[b].length);
    const vectors = new Array<Float32Array>(values.length);
    // Every sub-batch is queued at once (the tower runs them one by one): the model's
    // thread never waits for this one to build the next batch.
    const runs: Promise<string>[] = [];
    for (const slice of runsOf(order, (i) => ids[i].length, batchSizeOn(options.batchSize, device), maxTokens)) {
      const feeds = paddedBatch(slice.map((i) => ids[i]));
      const width = feeds.input_ids.dims[1];
      runs.push(model(feeds).then(({ embeds }) => {
        const rows = rowsOf(embeds, slice.length, options.normalize);
        rows.forEach((v, k) => (vectors[slice[k]] = v));
        // Runs finish in length order, not row order: the call's answer waits for the last,
        // but each run can be printed meanwhile.
        ready?.(slice, rows);
        return `${width}:${(performance.now() - started).toFixed(0)}`;
      }));
    }
    const done = await Promise.all(runs);
    if (options.trace) {
      log(`trace: ${values.length} rows: tokenizing ${(tokenized - started).toFixed(0)} ms, model runs done at (width:ms) ${done.join(' ')}, total ${(performance.now() - started).toFixed(0)} ms`);
    }
    return vectors;
  };
  return { encode, device };
}

/**
 * Cuts rows sorted by length into runs of at most `rows` rows whose padded size (rows x the
 * longest, the last) stays within `tokens`; a row longer than `tokens` still runs, alone.
 */
export function runsOf(sorted: number[], length: (row: number) => number, rows: number, tokens: number): number[][] {
  const runs: number[][] = [];
  let run: number[] = [];
  for (const row of sorted) {
    if (run.length > 0 && (run.length === rows || (run.length + 1) * length(row) > tokens)) {
      runs.push(run);
      run = [];
    }
    run.push(row);
  }
  if (run.length > 0) runs.push(run);
  return runs;
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
