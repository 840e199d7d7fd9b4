// The model under test: by default a seeded random-weight CLIP with exactly
// ViT-B/32's shapes (speed depends on shapes only), generated on first use.

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

export async function ensureModel(dir: string, generate: boolean, log: (line: string) => void): Promise<ModelInfo> {
  if (!existsSync(join(dir, 'config.json'))) {
    if (!generate) throw new Error(`Expected a model folder with config.json at ${dir} (--model-dir) but it does not exist`);
    log(`generating a random-weight ViT-B/32-sized CLIP (seed 1) into ${dir} ...`);
    await generateClipModel(dir, { size: 'base', seed: 1 });
  }
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
