// The built scripts driven over real pipes, as ClickHouse drives them.

import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { escapeField } from '../src/protocol/tsv.ts';
import { IMAGE_BATCH } from '../src/options.ts';
import { DIST, ROOT, cosine, norm, parseVectors, runScript, tempDir } from './helpers.ts';
import { referenceText } from './reference.ts';

const modelDir = inject('modelDir');
const rows = (texts: string[]) => texts.map((t) => escapeField(Buffer.from(t)).toString('latin1')).join('\n') + '\n';
const latin1 = (s: string) => Buffer.from(s, 'latin1');

describe('encode_text, executable mode (EOF ends the block)', () => {
  it('answers one normalized 512-vector per row, equal to the ONNX model on the reference ids', async () => {
    const run = await runScript('encode_text', ['--model-dir', modelDir], 'a photo of a cat\nHello World!\n');
    expect(run.code).toBe(0);
    const vectors = parseVectors(run.stdout);
    expect(vectors).toHaveLength(2);
    for (const v of vectors) {
      expect(v).toHaveLength(512);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    const ref = await referenceText(modelDir, [[49406, 320, 1125, 539, 320, 2368, 49407], [49406, 3306, 1002, 256, 49407]]);
    expect(cosine(vectors[0], ref[0])).toBeGreaterThan(0.99999);
    expect(cosine(vectors[1], ref[1])).toBeGreaterThan(0.99999);
    expect(run.stderr).toBe('');
  });

  it('gives the same vectors in one big batch as one row at a time', async () => {
    const texts = ['', 'tab\there', 'new\nline', 'back\\slash', "it's \"quoted\"", 'émoji 🐱 中文', 'a photo of a cat', 'x'.repeat(5000)];
    const together = parseVectors((await runScript('encode_text', ['--model-dir', modelDir, '--batch-size', '64'], rows(texts))).stdout);
    expect(together).toHaveLength(texts.length);
    for (let i = 0; i < texts.length; i++) {
      const alone = parseVectors((await runScript('encode_text', ['--model-dir', modelDir, '--batch-size', '1'], rows([texts[i]]))).stdout);
      expect(together[i]).toEqual(alone[0]);
    }
  });

  it('handles invalid UTF-8 without losing or shifting rows', async () => {
    const input = Buffer.concat([latin1('ok\n'), Buffer.from([0xff, 0xfe, 0xc3, 0x0a]), latin1('\\0nul\\\\\n'), latin1('end\n')]);
    const run = await runScript('encode_text', ['--model-dir', modelDir], input);
    expect(run.code).toBe(0);
    expect(parseVectors(run.stdout)).toHaveLength(4);
  });

  it('encodes the empty string as the reference does: [start, end]', async () => {
    const [v] = parseVectors((await runScript('encode_text', ['--model-dir', modelDir], '\n')).stdout);
    const [ref] = await referenceText(modelDir, [[49406, 49407]]);
    expect(cosine(v, ref)).toBeGreaterThan(0.99999);
  });

  it('loads only its own tower', async () => {
    const textOnly = tempDir('textonly');
    cpSync(modelDir, textOnly, { recursive: true });
    rmSync(join(textOnly, 'onnx/vision_model.onnx'));
    const run = await runScript('encode_text', ['--model-dir', textOnly], 'a photo of a cat\n');
    expect(run.code).toBe(0);
    expect(parseVectors(run.stdout)[0]).toHaveLength(512);
    const image = await runScript('encode_image', ['--model-dir', textOnly], '/x.jpg\n');
    expect(image.code).toBe(1);
    expect(image.stderr).toContain('vision_model.onnx');
  });

  it('prints the raw projection with --raw', async () => {
    const [v] = parseVectors((await runScript('encode_text', ['--model-dir', modelDir, '--raw'], 'a photo of a cat\n')).stdout);
    expect(norm(v)).not.toBeCloseTo(1, 2);
  });

  it('answers an empty block with nothing and exits 0', async () => {
    const run = await runScript('encode_text', ['--model-dir', modelDir], '');
    expect(run).toMatchObject({ code: 0, stdout: '' });
  });

  it('reports bad options the way sharp does: name, expected, received', async () => {
    const bad = await runScript('encode_text', ['--model-dir', modelDir, '--batch-size', 'many'], '');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Expected an integer between 1 and 4096 for --batch-size but received 'many'");
    const dtype = await runScript('encode_text', ['--model-dir', modelDir, '--dtype', 'fp64'], '');
    expect(dtype.stderr).toContain("Expected one of fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4 for --dtype but received 'fp64'");
  });

  it('--device auto falls back to the CPU once, saying why; an explicit GPU that is missing fails clearly', async () => {
    // This suite runs on machines without a GPU (CI has none).
    const auto = await runScript('encode_text', ['--model-dir', modelDir, '--device', 'auto'], 'a photo of a cat\n');
    expect(auto.code).toBe(0);
    const [onCpu] = parseVectors((await runScript('encode_text', ['--model-dir', modelDir], 'a photo of a cat\n')).stdout);
    expect(parseVectors(auto.stdout)[0]).toEqual(onCpu);
    const ours = auto.stderr.split('\n').filter((l) => l.startsWith('encode_text:'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/^encode_text: --device auto: no usable GPU \(cuda: .+; webgpu: .+\); running on the CPU$/);

    const webgpu = await runScript('encode_text', ['--model-dir', modelDir, '--device', 'webgpu'], 'x\n');
    expect(webgpu.code).toBe(1);
    expect(webgpu.stdout).toBe('');
    expect(webgpu.stderr).toMatch(/encode_text: cannot load the model: --device webgpu: .*adapter/i);
    expect(webgpu.stderr.match(/cannot load the model/g)).toHaveLength(1);
  });

  it('fails with a clear message when the model folder is wrong', async () => {
    const missing = tempDir('nomodel');
    const run = await runScript('encode_text', ['--model-dir', missing], 'x\n');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`Expected ${join(missing, 'config.json')}`);
    const q8 = await runScript('encode_text', ['--model-dir', modelDir, '--dtype', 'q8'], 'x\n');
    expect(q8.code).toBe(1);
    expect(q8.stderr).toContain('text_model_quantized.onnx');
  });
});

describe('executable_pool mode (--chunk-header)', () => {
  it('answers exactly N rows per block, flushed, and stays alive between blocks', async () => {
    const child = spawn(process.execPath, [join(DIST, 'encode_text.mjs'), '--model-dir', modelDir, '--chunk-header', '--batch-size', '2'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buffered = '';
    const waiters: Array<() => void> = [];
    child.stdout.on('data', (d) => {
      buffered += d;
      waiters.splice(0).forEach((w) => w());
    });
    const readLines = async (n: number) => {
      while (buffered.split('\n').length - 1 < n) await new Promise<void>((r) => waiters.push(r));
      const lines = buffered.split('\n');
      buffered = lines.slice(n).join('\n');
      return lines.slice(0, n).map((l) => JSON.parse(l) as number[]);
    };

    child.stdin.write('3\na photo of a cat\nb\nc\n');
    const first = await readLines(3);
    expect(first.map((v) => v.length)).toEqual([512, 512, 512]);
    // The second block is written in pieces, split mid-row: the answer waits for the whole block.
    child.stdin.write('0\n2\na photo');
    child.stdin.write(' of a cat\n\n');
    const second = await readLines(2);
    expect(second[0]).toEqual(first[0]);
    expect(child.exitCode).toBe(null);
    expect(buffered).toBe('');

    const exited = new Promise<number | null>((r) => child.on('close', r));
    child.stdin.end();
    expect(await exited).toBe(0);
  });

  it.skipIf(process.platform !== 'linux')('names the model\'s threads clip-model, onnxruntime\'s pool threads included', async () => {
    const child = spawn(process.execPath, [join(DIST, 'encode_text.mjs'), '--model-dir', modelDir, '--chunk-header', '--threads', '3'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const answered = new Promise<void>((r) => child.stdout.once('data', () => r()));
    child.stdin.write('1\na photo of a cat\n');
    await answered;
    const names = readdirSync(`/proc/${child.pid}/task`).map((t) => readFileSync(`/proc/${child.pid}/task/${t}/comm`, 'utf8').trim());
    const main = readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim();
    const exited = new Promise<number | null>((r) => child.on('close', r));
    child.stdin.end();
    expect(await exited).toBe(0);
    // The worker thread that runs the tower, and the (at least two) pool threads onnxruntime
    // starts from it; the main thread keeps its name.
    expect(names.filter((n) => n === 'clip-model').length).toBeGreaterThanOrEqual(3);
    expect(main).toBe('node');
  });

  it('exits non-zero with a clear message when headers are missing', async () => {
    const run = await runScript('encode_text', ['--model-dir', modelDir, '--chunk-header'], 'a photo of a cat\n');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('expected a chunk header');
  });
});

describe('encode_image per-row errors', () => {
  it('gives every photo the vector it gets alone, whatever failed beside it in its batch', async () => {
    // Failed rows are squeezed out of a batch's buffer before the model runs, and the
    // buffers come back from the model's thread to hold later batches: neither may shift
    // a photo or leave another's pixels in its place.
    const images = join(ROOT, 'test/fixtures/images');
    const photos = ['jpeg_224x300.jpg', 'png_rgba.png', 'jpeg_gray.jpg', 'jpeg_1000x600.jpg', 'jpeg_cmyk.jpg', 'jpeg_tiny_50x30.jpg'].map((f) => join(images, f));
    const bad = join(images, 'missing.jpg');
    const mixed = [bad, photos[0], bad, photos[1], photos[2], bad, bad, photos[3], bad, bad, bad, bad, photos[4], photos[5]];
    const block = (values: string[]) => `${values.length}\n${values.join('\n')}\n`;
    const args = ['--model-dir', modelDir, '--allow-dir', images, '--chunk-header'];
    const [together, alone] = await Promise.all([
      runScript('encode_image', [...args, '--batch-size', '4'], block(mixed) + block(mixed.slice(3))),
      runScript('encode_image', [...args, '--batch-size', '1'], [...photos].reverse().map((p) => block([p])).join('')),
    ]);
    expect(together.code).toBe(0);
    expect(alone.code).toBe(0);
    const reference = new Map([...photos].reverse().map((p, i) => [p, parseVectors(alone.stdout)[i]]));
    expect(new Set([...reference.values()].map((v) => JSON.stringify(v))).size).toBe(photos.length);
    const expected = [...mixed, ...mixed.slice(3)].map((p) => (p === bad ? [] : reference.get(p)));
    expect(parseVectors(together.stdout)).toEqual(expected);
  });

  it('answers [] for a bad row and names the row and reason on stderr; --on-error fail fails the block', async () => {
    const dir = tempDir('img');
    const junk = join(dir, 'junk.jpg');
    writeFileSync(junk, 'not an image');
    const input = `${join(dir, 'missing.jpg')}\n${junk}\nrelative.jpg\n/etc/passwd\n`;
    const run = await runScript('encode_image', ['--model-dir', modelDir, '--allow-dir', dir], input);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('[]\n[]\n[]\n[]\n');
    expect(run.stderr.trim().split('\n')).toEqual([
      `encode_image: block 1, row 1: '${dir}/missing.jpg' does not exist (answered [])`,
      `encode_image: block 1, row 2: '${junk}': expected a JPEG, PNG, GIF, WebP or TIFF image but received text (answered [])`,
      // Relative paths resolve against the first allowed directory, as file() does against user_files.
      `encode_image: block 1, row 3: 'relative.jpg' does not exist (answered [])`,
      `encode_image: block 1, row 4: '/etc/passwd' is outside the allowed directories (${dir}) (answered [])`,
    ]);

    const failing = await runScript('encode_image', ['--model-dir', modelDir, '--allow-dir', dir, '--on-error=fail'], input);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toBe('');
    expect(failing.stderr).toContain(`encode_image: block 1, row 1: '${dir}/missing.jpg' does not exist`);
  });
});

// What a GPU process does differently (batches decoded on worker threads, vectors printed
// on worker threads, more batches in flight) must not change one byte of the answers;
// proven here on the CPU, where CI runs.
describe('worker threads of a GPU process', () => {
  const images = join(ROOT, 'test/fixtures/images');
  const block = (values: string[]) => `${values.length}\n` + rows(values);

  it('encode_image --decode-threads N answers exactly as decoding on the main thread, bad rows included', async () => {
    // Every fixture (some are not images: each is answered [] with its reason), then the
    // same rows again in small blocks so that answers cross block boundaries in flight.
    const paths = [...readdirSync(images).sort().map((f) => join(images, f)), '/etc/passwd', join(images, 'missing.jpg')];
    const input = block(paths) + block(paths.slice(0, 5)) + block(paths.slice(5, 7)) + block(paths.slice(7));
    const args = ['--model-dir', modelDir, '--allow-dir', images, '--chunk-header', '--batch-size', '4'];
    const [here, workers] = await Promise.all([runScript('encode_image', [...args, '--decode-threads', '0'], input), runScript('encode_image', [...args, '--decode-threads', '3'], input)]);
    expect(here.code).toBe(0);
    expect(workers.code).toBe(0);
    expect(here.stdout.split('\n').length - 1).toBe(2 * paths.length);
    expect(here.stdout.split('\n').filter((l) => l.length > 1000).length).toBeGreaterThan(40);
    expect(workers.stdout).toBe(here.stdout);
    expect(workers.stderr).toBe(here.stderr);
  });

  it('encode_text --print-threads N prints exactly what the main thread prints', async () => {
    // More rows than one printing job (256), NULLs among them, over several blocks.
    const texts = Array.from({ length: 700 }, (_, i) => (i % 9 === 0 ? '\\N' : `caption ${i} ${'word '.repeat(i % 40)}`));
    const values = texts.map((t) => (t === '\\N' ? t : escapeField(Buffer.from(t)).toString('latin1')));
    const input = [values, values.slice(0, 3), values.slice(3, 300)].map((b) => `${b.length}\n${b.join('\n')}\n`).join('');
    const args = ['--model-dir', modelDir, '--chunk-header', '--batch-size', '16', '--trace'];
    const [here, workers] = await Promise.all([runScript('encode_text', args, input), runScript('encode_text', [...args, '--print-threads', '3'], input)]);
    expect(here.code).toBe(0);
    expect(workers.code).toBe(0);
    expect(here.stderr).toContain('encode_text: trace: 2 calls of 512 rows in flight, 16 rows a model run, printing on the main thread');
    expect(workers.stderr).toContain('encode_text: trace: 2 calls of 512 rows in flight, 16 rows a model run, printing on 3 worker threads');
    const lines = here.stdout.split('\n');
    expect(lines.length - 1).toBe(1000);
    expect(lines[0]).toBe('[]');
    expect(JSON.parse(lines[1])).toHaveLength(512);
    expect(workers.stdout).toBe(here.stdout);
  });

  it('--device auto that falls back to the CPU runs with the CPU settings, not the GPU ones', async () => {
    const run = await runScript('encode_text', ['--model-dir', modelDir, '--device', 'auto', '--trace'], 'a photo of a cat\n');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/--device auto: no usable GPU/);
    // 32 captions a run, the CPU default, not the GPU's 256.
    expect(run.stderr).toContain('encode_text: trace: 2 calls of 1024 rows in flight, 32 rows a model run, printing on the main thread');
    expect(JSON.parse(run.stdout)).toHaveLength(512);
    const image = await runScript('encode_image', ['--model-dir', modelDir, '--device', 'auto', '--trace', '--input', 'bytes'], '\\N\n');
    expect(image.code).toBe(0);
    // Calls of whole runs, half the rows read at once (max(8, cores)).
    const perRun = IMAGE_BATCH.cpu;
    expect(perRun).not.toBe(IMAGE_BATCH.gpu);
    const rows = Math.ceil(Math.max(8, availableParallelism()) / 2 / perRun) * perRun;
    expect(image.stderr).toContain(`encode_image: trace: 2 calls of ${rows} rows in flight, ${perRun} rows a model run, printing on the main thread`);
  });

  it('reports a bad --print-threads the way sharp does', async () => {
    const run = await runScript('encode_text', ['--model-dir', modelDir, '--print-threads', '300'], '');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Expected an integer between 0 and 256 for --print-threads but received '300'");
  });

  it('reports a bad --decode-threads the way sharp does', async () => {
    const run = await runScript('encode_image', ['--model-dir', modelDir, '--decode-threads', 'many'], '');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Expected an integer between 0 and 256 for --decode-threads but received 'many'");
  });
});

describe('verify', () => {
  it('reports FAIL with the measured numbers for weights that are not the reference ones', async () => {
    const image = join(ROOT, 'test/fixtures/images/jpeg_1000x600.jpg');
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((ok) => {
      const child = spawn(process.execPath, [join(DIST, 'verify.mjs'), '--model-dir', modelDir, '--image', image]);
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('close', (c) => ok({ code: c, stdout: out }));
    });
    expect(code).toBe(1);
    const [img] = parseVectors((await runScript('encode_image', ['--model-dir', modelDir, '--allow-dir', join(ROOT, 'test/fixtures/images')], `${image}\n`)).stdout);
    const [cat, dog] = parseVectors((await runScript('encode_text', ['--model-dir', modelDir], 'a photo of a cat\na photo of a dog\n')).stdout);
    const logits = [cosine(img, cat), cosine(img, dog)].map((c) => (100 * c).toFixed(4));
    expect(stdout).toContain(`FAIL  COCO 000000039769 vs "a photo of a cat" / "a photo of a dog", logits: got [${logits.join(', ')}]`);
    expect(stdout).toMatch(/verify: 3 check\(s\) failed/);
  });
});

describe("onnxruntime's telemetry", () => {
  it('stays off in both scripts (nothing written to HOME or TMPDIR) unless the operator sets ORT_DISABLE_TELEMETRY=0', async () => {
    const images = join(ROOT, 'test/fixtures/images');
    // What a run leaves in a HOME and a TMPDIR of its own: onnxruntime's telemetry keeps its
    // event store under HOME and a debug log per process in TMPDIR. onnxruntime also stays silent
    // where one of these CI variables is set (measured, CI unless it is '', '0' or 'false'), so
    // they are cleared: otherwise, under CI, the check would pass without our switch.
    const ciVariables = ['CI', 'TF_BUILD', 'GITHUB_ACTIONS', 'GITLAB_CI', 'CIRCLECI', 'TRAVIS', 'JENKINS_URL', 'CODEBUILD_BUILD_ID', 'BUILDKITE', 'TEAMCITY_VERSION', 'APPVEYOR', 'BITBUCKET_BUILD_NUMBER'];
    const leftBehind = async (script: string, input: string, args: string[], setting?: string) => {
      const home = tempDir('home');
      const tmp = tempDir('tmp');
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, TMPDIR: tmp };
      for (const name of ['ORT_DISABLE_TELEMETRY', ...ciVariables]) delete env[name];
      if (setting !== undefined) env.ORT_DISABLE_TELEMETRY = setting;
      const run = await runScript(script, ['--model-dir', modelDir, ...args], input, env);
      expect(run.code, run.stderr).toBe(0);
      expect(parseVectors(run.stdout)).toHaveLength(1);
      return [...readdirSync(home), ...readdirSync(tmp)];
    };
    expect(await leftBehind('encode_text', 'a photo of a cat\n', [])).toEqual([]);
    expect(await leftBehind('encode_image', `${join(images, 'jpeg_224x300.jpg')}\n`, ['--allow-dir', images])).toEqual([]);
    // The check sees telemetry where there is some.
    expect(await leftBehind('encode_text', 'a photo of a cat\n', [], '0')).toEqual(expect.arrayContaining(['.cache', expect.stringMatching(/^mat-debug-\d+\.log$/)]));
  });
});
