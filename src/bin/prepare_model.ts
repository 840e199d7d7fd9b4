// `prepare_model`: writes the prepared copy of both towers of a model folder (see
// model/prepared.ts), which the scripts then load in about half the time. install.sh runs
// it; run it again after replacing a model file (the scripts ignore a stale copy).

import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { towerFile } from '../model/files.ts';
import { checkModelDir } from '../model/towers.ts';
import { prepareTower, type TailCut } from '../model/prepare.ts';
import { DTYPES, type Dtype } from '../options.ts';

// What the copy's end does (model/pooled-token.ts), worth a word where it is cut or could not be.
const TAIL: Record<TailCut, string> = {
  cut: ' (its last layer runs on the pooled token alone)',
  none: '',
  differed: ' (kept whole: cut to the pooled token, it did not pass the check against the whole copy here)',
};

const fail = (message: string) => {
  process.stderr.write(`prepare_model: ${message}\n`);
  process.exit(1);
};
let values: { 'model-dir'?: string; dtype: string };
try {
  ({ values } = parseArgs({ options: { 'model-dir': { type: 'string' }, dtype: { type: 'string', default: 'fp32' } } }));
} catch (err) {
  fail((err as Error).message);
}
if (!values!['model-dir']) fail('Expected --model-dir DIR (a model folder in transformers.js layout) but received nothing');
if (!(DTYPES as readonly string[]).includes(values!.dtype)) fail(`Expected one of ${DTYPES.join(', ')} for --dtype but received '${values!.dtype}'`);
const modelDir = resolve(values!['model-dir']!);
const dtype = values!.dtype as Dtype;
try {
  for (const tower of ['text', 'vision'] as const) {
    checkModelDir(modelDir, tower, dtype);
    const started = performance.now();
    const source = towerFile(modelDir, tower, dtype);
    const done = await prepareTower(source, ort);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const tail = done.wrote ? TAIL[done.tail] : '';
    process.stderr.write(`prepare_model: ${tower} tower: ${done.wrote ? `prepared copy of ${source} written in ${seconds} s${tail}` : `prepared copy of ${source} is up to date`}\n`);
  }
} catch (err) {
  fail((err as Error).message.split('\n')[0]);
}
