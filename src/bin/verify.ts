// `verify`: checks a model folder holding the REAL OpenAI ViT-B/32 weights against
// published reference numbers, through the same scripts ClickHouse runs. The COCO
// image (val2017 000000039769, two cats on a couch) is not ours to ship: pass its path.

import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));

const { values } = parseArgs({
  options: { 'model-dir': { type: 'string' }, image: { type: 'string' }, dtype: { type: 'string', default: 'fp32' } },
});
if (!values['model-dir']) {
  process.stderr.write('verify: Expected --model-dir DIR (a folder with the real CLIP ViT-B/32 weights) but received nothing\n');
  process.exit(2);
}
const common = ['--model-dir', resolve(values['model-dir']), '--dtype', values.dtype];

function encode(script: string, rows: string[], extra: string[] = []): Promise<number[][]> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(here, `${script}.mjs`), ...common, ...extra], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? ok(out.trim().split('\n').map((l) => JSON.parse(l))) : fail(new Error(`${script} exited with ${code}`))));
    child.stdin.end(rows.map((r) => r + '\n').join(''));
  });
}

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
let failures = 0;
function check(name: string, got: number[], want: number[], tolerance: number): void {
  const ok = got.length === want.length && got.every((g, i) => Math.abs(g - want[i]) <= tolerance);
  if (!ok) failures++;
  const fmt = (v: number[]) => `[${v.map((x) => x.toFixed(4)).join(', ')}]`;
  process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${name}: got ${fmt(got)}, expected ${fmt(want)} (tolerance ${tolerance})\n`);
}

// Published by qdrant/fastembed's tests (L2-normalized vectors).
const [hello, cat, dog] = await encode('encode_text', ['hello world', 'a photo of a cat', 'a photo of a dog']);
check('text "hello world", first values', hello.slice(0, 5), [0.0083, 0.0103, -0.0138, 0.0199, -0.0069], 1e-3);

if (values.image) {
  const path = resolve(values.image);
  const [image] = await encode('encode_image', [path], ['--allow-dir', dirname(path)]);
  if (image.length === 0) {
    process.stdout.write(`FAIL  image ${values.image} could not be read or decoded (see the line above)\n`);
    failures++;
  } else {
    check('COCO 000000039769, first values', image.slice(0, 5), [-0.0098, 0.0128, -0.0274, 0.002, -0.0059], 1e-3);
    // Hugging Face's CLIP integration test: logits_per_image = 100 x cosine.
    check('COCO 000000039769 vs "a photo of a cat" / "a photo of a dog", logits', [100 * dot(image, cat), 100 * dot(image, dog)], [24.5701, 19.3049], 1e-2);
  }
} else {
  process.stdout.write('SKIP  image checks: pass --image PATH to COCO val2017 000000039769.jpg (two cats on a couch)\n');
}
process.stdout.write(failures === 0 ? 'verify: all checks passed\n' : `verify: ${failures} check(s) failed: these are not the reference weights, or preprocessing differs\n`);
process.exitCode = failures === 0 ? 0 : 1;
