// Loads one CLIP tower (text or vision) from a local folder in transformers.js
// layout. Only the tower a function needs is loaded, and the network is never
// touched: a UDF answering queries must not depend on the hub being reachable.

import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { env, CLIPTextModelWithProjection, CLIPVisionModelWithProjection } from '@huggingface/transformers';
import type { Dtype, EncoderOptions } from '../options.ts';
import { towerFile, type Tower } from './files.ts';

export class ModelError extends Error {}

export function checkModelDir(modelDir: string, tower: Tower, dtype: Dtype): void {
  for (const file of [join(modelDir, 'config.json'), towerFile(modelDir, tower, dtype)]) {
    if (!existsSync(file)) {
      throw new ModelError(`Expected ${file} (--model-dir ${modelDir}, --dtype ${dtype}) but it does not exist (see 'Models' in README.md)`);
    }
  }
}

/** Runs a tower: feeds are transformers.js Tensors, the result has `text_embeds` / `image_embeds`. */
export type TowerModel = (feeds: Record<string, unknown>) => Promise<Record<string, { data: Float32Array; dims: number[] }>>;

export async function loadTower(tower: Tower, options: EncoderOptions): Promise<TowerModel> {
  checkModelDir(options.modelDir, tower, options.dtype);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dirname(options.modelDir) + '/';
  const cls = tower === 'text' ? CLIPTextModelWithProjection : CLIPVisionModelWithProjection;
  const model = await cls.from_pretrained(basename(options.modelDir), {
    dtype: options.dtype,
    device: 'cpu',
    local_files_only: true,
    session_options: {
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      // Waiting vision threads must not spin: they would burn the cores that decode the
      // next batch meanwhile (bench: 0.75x -> 0.84x of raw). Text has nothing to overlap.
      ...(tower === 'vision' && { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
    },
  });
  // One run at a time: two would only fight over the same intra-op threads, while
  // the caller prepares the next batch on the side.
  let last: Promise<unknown> = Promise.resolve();
  return (feeds) => {
    const run = last.then(() => (model as unknown as TowerModel)(feeds));
    last = run.catch(() => {});
    return run;
  };
}
