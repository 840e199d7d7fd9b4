// The prepared copy of a tower (src/model/prepared.ts): made by prepare_model, loaded by
// the scripts only while it matches its source, and never a reason to answer differently.

import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CLIP_MEAN, CLIP_STD, normalizeInto } from '../src/image/normalize.ts';
import { withByteInput } from '../src/model/byte-input.ts';
import { DIST, ROOT, floatBits, parseVectors, runScript, tempDir } from './helpers.ts';

const images = join(ROOT, 'test/fixtures/images');
const photos = readdirSync(images).filter((f) => f.endsWith('.jpg')).slice(0, 3).map((f) => join(images, f));
const captions = ['a photo of a cat', '', 'two dogs playing in the snow, high resolution'];

function prepare(args: string[]): Promise<{ code: number; stderr: string }> {
  return promisify(execFile)(process.execPath, [join(DIST, 'prepare_model.mjs'), ...args]).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
  );
}

/** Both scripts on `dir`: their answers, and the file each says (--trace) it loaded. */
async function encodeBoth(dir: string) {
  const text = await runScript('encode_text', ['--model-dir', dir, '--trace'], captions.join('\n') + '\n');
  const image = await runScript('encode_image', ['--model-dir', dir, '--trace', '--allow-dir', images], photos.join('\n') + '\n');
  expect(text.code).toBe(0);
  expect(image.code).toBe(0);
  const loaded = (stderr: string) => stderr.match(/tower on cpu from (\S+)/)?.[1];
  return { text: text.stdout, image: image.stdout, textFrom: loaded(text.stderr), imageFrom: loaded(image.stderr), stderr: text.stderr + image.stderr };
}

describe('prepare_model and the prepared copy', () => {
  let dir: string;
  let fromSource: Awaited<ReturnType<typeof encodeBoth>>;

  beforeAll(async () => {
    dir = tempDir('prepared');
    cpSync(inject('modelDir'), dir, { recursive: true });
    rmSync(join(dir, 'onnx/prepared'), { recursive: true, force: true });
    fromSource = await encodeBoth(dir);
  });

  it('without a copy the scripts load the .onnx files', () => {
    expect(fromSource.textFrom).toBe(join(dir, 'onnx/text_model.onnx'));
    expect(fromSource.imageFrom).toBe(join(dir, 'onnx/vision_model.onnx'));
    expect(parseVectors(fromSource.text)).toHaveLength(3);
    expect(parseVectors(fromSource.image).every((v) => v.length === 512)).toBe(true);
  });

  it('writes the weights to a data file once, and the scripts load it with byte-identical answers', async () => {
    const first = await prepare(['--model-dir', dir]);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/text tower: prepared copy of .*text_model\.onnx written in/);
    expect(first.stderr).toMatch(/vision tower: prepared copy of .*vision_model\.onnx written in/);
    const files = readdirSync(join(dir, 'onnx/prepared')).sort();
    expect(files).toEqual(['text_model.json', 'text_model.onnx', 'text_model.onnx.data', 'vision_model.json', 'vision_model.onnx', 'vision_model.onnx.data']);
    // The weights left the graph file.
    expect(statSync(join(dir, 'onnx/prepared/vision_model.onnx')).size).toBeLessThan(statSync(join(dir, 'onnx/vision_model.onnx')).size / 4);

    const prepared = await encodeBoth(dir);
    expect(prepared.textFrom).toBe(join(dir, 'onnx/prepared/text_model.onnx'));
    expect(prepared.imageFrom).toBe(join(dir, 'onnx/prepared/vision_model.onnx'));
    expect(prepared.text).toBe(fromSource.text);
    expect(prepared.image).toBe(fromSource.image);

    const again = await prepare(['--model-dir', dir]);
    expect(again.stderr).toMatch(/text tower: prepared copy of .* is up to date/);
  });

  it('gives the vision copy a byte input that makes the very tensor normalizeInto makes', async () => {
    const [source, copy] = await Promise.all(['onnx/vision_model.onnx', 'onnx/prepared/vision_model.onnx'].map((f) => ort.InferenceSession.create(join(dir, f))));
    expect(source.inputNames).toEqual(['pixel_values']);
    expect(copy.inputNames).toEqual(['pixel_bytes']);
    expect(copy.inputMetadata[0]).toMatchObject({ type: 'uint8', shape: ['batch_size', 224, 224, 3] });
    expect((await ort.InferenceSession.create(join(dir, 'onnx/prepared/text_model.onnx'))).inputNames).toEqual((await ort.InferenceSession.create(join(dir, 'onnx/text_model.onnx'))).inputNames);
    // Random bytes reach every value of every channel; the crops of three photos would not.
    const rows = 3;
    const plane = 224 * 224;
    const bytes = Uint8Array.from({ length: rows * plane * 3 }, (_, i) => (i * 2654435761) >>> 24);
    const floats = new Float32Array(rows * 3 * plane);
    for (let r = 0; r < rows; r++) normalizeInto(bytes.subarray(r * plane * 3, (r + 1) * plane * 3), plane, floats, r * 3 * plane);
    const fromFloats = (await source.run({ pixel_values: new ort.Tensor('float32', floats, [rows, 3, 224, 224]) }, ['image_embeds'])).image_embeds!;
    const fromBytes = (await copy.run({ pixel_bytes: new ort.Tensor('uint8', bytes, [rows, 224, 224, 3]) }, ['image_embeds'])).image_embeds!;
    expect(fromBytes.dims).toEqual([rows, 512]);
    expect(floatBits(fromBytes).equals(floatBits(fromFloats))).toBe(true);
    // Only a float pixel_values input is replaced: not a text tower's, not twice.
    expect(withByteInput(readFileSync(join(dir, 'onnx/prepared/text_model.onnx')), CLIP_MEAN, CLIP_STD)).toBeNull();
    expect(withByteInput(readFileSync(join(dir, 'onnx/prepared/vision_model.onnx')), CLIP_MEAN, CLIP_STD)).toBeNull();
  });

  it('ignores a copy stamped by an older layout, and prepare_model renews it', async () => {
    const stampFile = join(dir, 'onnx/prepared/vision_model.json');
    const { layout, ...older } = JSON.parse(readFileSync(stampFile, 'utf8')) as Record<string, unknown>;
    expect(layout).toBe(3);
    writeFileSync(stampFile, JSON.stringify(older));
    const stale = await encodeBoth(dir);
    expect(stale.imageFrom).toBe(join(dir, 'onnx/vision_model.onnx'));
    expect(stale.image).toBe(fromSource.image);
    expect((await prepare(['--model-dir', dir])).stderr).toMatch(/vision tower: prepared copy of .* written in/);
    expect((await encodeBoth(dir)).imageFrom).toBe(join(dir, 'onnx/prepared/vision_model.onnx'));
  });

  it('ignores a copy made from an older source file, and prepare_model renews it', async () => {
    const source = join(dir, 'onnx/text_model.onnx');
    const later = new Date(statSync(source).mtimeMs + 5000);
    utimesSync(source, later, later);
    const stale = await encodeBoth(dir);
    expect(stale.textFrom).toBe(source);
    expect(stale.imageFrom).toBe(join(dir, 'onnx/prepared/vision_model.onnx'));
    expect(stale.text).toBe(fromSource.text);
    expect((await prepare(['--model-dir', dir])).stderr).toMatch(/text tower: prepared copy of .* written in/);
    expect((await encodeBoth(dir)).textFrom).toBe(join(dir, 'onnx/prepared/text_model.onnx'));
  });

  it('falls back to the source, saying so once, when the copy cannot be loaded', async () => {
    rmSync(join(dir, 'onnx/prepared/vision_model.onnx.data'));
    const damaged = await encodeBoth(dir);
    expect(damaged.image).toBe(fromSource.image);
    const lines = damaged.stderr.split('\n').filter((l) => l.includes('failed to load'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`encode_image: vision tower on cpu from ${join(dir, 'onnx/vision_model.onnx')} (its prepared copy`);
    // Without --trace that one line is all the script says.
    const quiet = await runScript('encode_image', ['--model-dir', dir, '--allow-dir', images], photos[0] + '\n');
    expect(quiet.stderr.trim().split('\n')).toHaveLength(1);
    expect(quiet.stdout).toBe(fromSource.image.split('\n')[0] + '\n');
  });

  it('reports bad arguments the way sharp does: name, expected, received', async () => {
    expect(await prepare([])).toEqual({ code: 1, stderr: 'prepare_model: Expected --model-dir DIR (a model folder in transformers.js layout) but received nothing\n' });
    const dtype = await prepare(['--model-dir', dir, '--dtype', 'fp64']);
    expect(dtype.code).toBe(1);
    expect(dtype.stderr).toMatch(/^prepare_model: Expected one of fp32, .* for --dtype but received 'fp64'\n$/);
    const empty = tempDir('prepared-empty');
    const missing = await prepare(['--model-dir', empty]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`Expected ${join(empty, 'config.json')}`);
    expect(existsSync(join(empty, 'onnx'))).toBe(false);
  });
});
