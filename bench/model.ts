// The model under test: by default a seeded random-weight CLIP with exactly
// ViT-B/32's shapes (speed depends on shapes only), generated on first use with its
// fp16 and q8 variants (onnx/*_model_fp16.onnx, onnx/*_model_quantized.onnx), derived from
// the same fp32 weights so their cosine to fp32 means something.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { towerFile } from '../src/model/files.ts';
import { generateClipModel } from '../src/modelgen/index.ts';

export interface ModelInfo {
  dir: string;
  name: string;
  randomWeights: boolean;
  textWeightBytes: number;
  visionWeightBytes: number;
}

/** The dtypes the DTYPES section compares; fp32 first (the reference). */
export const BENCH_DTYPES = ['fp32', 'fp16', 'q8'] as const;
export type BenchDtype = (typeof BENCH_DTYPES)[number];

export function hasDtype(dir: string, dtype: BenchDtype): boolean {
  return existsSync(towerFile(dir, 'text', dtype)) && existsSync(towerFile(dir, 'vision', dtype));
}

export async function ensureModel(dir: string, generate: boolean, log: (line: string) => void): Promise<ModelInfo> {
  const complete = existsSync(join(dir, 'config.json')) && BENCH_DTYPES.every((d) => hasDtype(dir, d));
  if (generate && !complete) {
    log(`generating a random-weight ViT-B/32-sized CLIP (seed 1; fp32, fp16, q8) into ${dir} ...`);
    await generateClipModel(dir, { size: 'base', seed: 1, dtypes: BENCH_DTYPES });
  }
  if (!existsSync(join(dir, 'config.json'))) throw new Error(`Expected a model folder with config.json at ${dir} (--model-dir) but it does not exist`);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { _name_or_path?: string };
  const name = config._name_or_path ?? dir;
  return {
    dir,
    name,
    randomWeights: /random/i.test(name),
    textWeightBytes: statSync(towerFile(dir, 'text', 'fp32')).size,
    visionWeightBytes: statSync(towerFile(dir, 'vision', 'fp32')).size,
  };
}

/** Runs the scripts' prepare_model on every dtype the folder has (older builds have none: nothing to do). */
export function prepareModel(dist: string, dir: string): string[] {
  const tool = join(dist, 'prepare_model.mjs');
  if (!existsSync(tool)) return [`${tool} does not exist: the scripts load the .onnx files`];
  return BENCH_DTYPES.filter((d) => hasDtype(dir, d)).flatMap((dtype) => {
    const run = spawnSync(process.execPath, [tool, '--model-dir', dir, '--dtype', dtype], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`prepare_model --dtype ${dtype} failed: ${run.stderr.trim()}`);
    return run.stderr.trim().split('\n');
  });
}
