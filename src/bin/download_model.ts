import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { downloadModel } from '../model/download.ts';
import { DTYPES, type Dtype } from '../options.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'Xenova/clip-vit-base-patch32' },
    out: { type: 'string' },
    'hub-url': { type: 'string', default: process.env.HF_ENDPOINT ?? 'https://huggingface.co' },
    revision: { type: 'string', default: 'main' },
    dtype: { type: 'string', default: 'fp32' },
  },
});
const fail = (message: string) => {
  process.stderr.write(`download_model: ${message}\n`);
  process.exit(1);
};
if (!values.out) fail('Expected --out DIR (where the model folder goes) but received nothing');
if (!(DTYPES as readonly string[]).includes(values.dtype)) fail(`Expected one of ${DTYPES.join(', ')} for --dtype but received '${values.dtype}'`);
try {
  await downloadModel({
    model: values.model,
    outDir: resolve(values.out!),
    hubUrl: values['hub-url'],
    revision: values.revision,
    dtype: values.dtype as Dtype,
    log: (line) => process.stderr.write(`download_model: ${line}\n`),
  });
} catch (err) {
  fail((err as Error).message);
}
