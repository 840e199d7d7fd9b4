// A prepared tower runs its last layer's per-token tail on the one token its embedding is
// pooled from (src/model/pooled-token.ts): the same embeddings to the bit, or the copy stays
// whole.

import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CLIP_MEAN, CLIP_STD, normalizeInto } from '../src/image/normalize.ts';
import { withByteInput } from '../src/model/byte-input.ts';
import { prepareTower } from '../src/model/prepare.ts';
import { preparedPaths } from '../src/model/prepared.ts';
import { withPooledTokenTail } from '../src/model/pooled-token.ts';
import { DType, createGraph, encodeModel, int, ints } from '../src/modelgen/onnx-graph.ts';
import { floatBits, tempDir } from './helpers.ts';

const { onnx } = onnxProto;

const graphOf = (file: string) => onnx.ModelProto.decode(readFileSync(file)).graph as onnxProto.onnx.GraphProto;
const random = (i: number) => (i * 2654435761) >>> 0;

/** image_embeds of `session` for `rows` crops of random bytes, fed as its input wants them. */
async function imageEmbeds(session: ort.InferenceSession, rows: number, height = 224, width = 224): Promise<Buffer> {
  const plane = height * width;
  const bytes = Uint8Array.from({ length: rows * plane * 3 }, (_, i) => random(i + 7 * rows) >>> 24);
  let feeds: Record<string, ort.Tensor>;
  if (session.inputNames.includes('pixel_bytes')) feeds = { pixel_bytes: new ort.Tensor('uint8', bytes, [rows, height, width, 3]) };
  else {
    const floats = new Float32Array(rows * 3 * plane);
    for (let r = 0; r < rows; r++) normalizeInto(bytes.subarray(r * plane * 3, (r + 1) * plane * 3), plane, floats, r * 3 * plane);
    feeds = { pixel_values: new ort.Tensor('float32', floats, [rows, 3, height, width]) };
  }
  return floatBits((await session.run(feeds, ['image_embeds'])).image_embeds!);
}

/** text_embeds of `session` for random captions of these lengths, padded to the longest. */
async function textEmbeds(session: ort.InferenceSession, lengths: number[]): Promise<Buffer> {
  const width = Math.max(...lengths);
  const ids = new BigInt64Array(lengths.length * width);
  const mask = new BigInt64Array(lengths.length * width);
  lengths.forEach((length, r) => {
    for (let c = 0; c < length; c++) {
      ids[r * width + c] = c === 0 ? 49406n : c === length - 1 ? 49407n : BigInt(random(r * 131 + c) % 49406);
      mask[r * width + c] = 1n;
    }
  });
  const feeds = { input_ids: new ort.Tensor('int64', ids, [lengths.length, width]), attention_mask: new ort.Tensor('int64', mask, [lengths.length, width]) };
  return floatBits((await session.run(feeds, ['text_embeds'])).text_embeds!);
}

describe('prepared copies on the pooled token', () => {
  let dir: string;

  beforeAll(() => {
    dir = tempDir('pooled-token');
    mkdirSync(join(dir, 'onnx'));
    for (const tower of ['text', 'vision']) cpSync(join(inject('modelDir'), `onnx/${tower}_model.onnx`), join(dir, `onnx/${tower}_model.onnx`));
  });

  const sessions = (source: string) => Promise.all([source, preparedPaths(source).model].map((f) => ort.InferenceSession.create(f, { graphOptimizationLevel: 'all' })));
  // The tensors that enter the cut tail, narrowed to the pooled token.
  const entering = (file: string, opType: string) => graphOf(file).node.filter((n) => n.opType === opType && n.name!.endsWith('/pooled_token')).map((n) => n.input![0]!.replace(/_\d+_output_0$/, '')).sort();
  const cutMatMuls = (file: string) => graphOf(file).node.filter((n) => n.opType === 'MatMul' && n.input![0]!.endsWith('/pooled_token')).map((n) => n.input![1]);

  it('runs the vision tower\'s last layer on the class token, answering the source\'s bits for 1 to 8 photos', async () => {
    const source = join(dir, 'onnx/vision_model.onnx');
    expect(await prepareTower(source, ort)).toEqual({ wrote: true, tail: 'cut' });
    const copy = preparedPaths(source).model;
    // The residual stream and the merged attention heads enter the tail as token 0.
    expect(entering(copy, 'Slice')).toEqual(['/vision_model/encoder/layers/0/Add', '/vision_model/encoder/layers/1/Reshape']);
    // The attention's output projection and the MLP's two MatMuls run on that token.
    expect(cutMatMuls(copy)).toEqual(['vision_model.encoder.layers.1.self_attn.out_proj.weight', 'vision_model.encoder.layers.1.mlp.fc1.weight', 'vision_model.encoder.layers.1.mlp.fc2.weight']);
    expect(graphOf(copy).output.map((o) => o.name)).toEqual(['image_embeds']);

    const [whole, cut] = await sessions(source);
    for (const rows of [1, 2, 5, 8]) expect((await imageEmbeds(cut, rows)).equals(await imageEmbeds(whole, rows))).toBe(true);
  });

  it('runs the text tower\'s last layer and final LayerNorm on the end token, answering the source\'s bits', async () => {
    const source = join(dir, 'onnx/text_model.onnx');
    expect(await prepareTower(source, ort)).toEqual({ wrote: true, tail: 'cut' });
    const copy = preparedPaths(source).model;
    expect(entering(copy, 'GatherND')).toEqual(['/text_model/encoder/layers/0/Add', '/text_model/encoder/layers/1/Reshape']);
    expect(cutMatMuls(copy)).toEqual(['text_model.encoder.layers.1.self_attn.out_proj.weight', 'text_model.encoder.layers.1.mlp.fc1.weight', 'text_model.encoder.layers.1.mlp.fc2.weight']);
    expect(graphOf(copy).output.map((o) => o.name)).toEqual(['text_embeds']);
    // Cut again, a cut copy has nothing left to cut.
    expect(withPooledTokenTail(readFileSync(copy), 'text_embeds')).toBeNull();

    const [whole, cut] = await sessions(source);
    for (const lengths of [[2], [77], [5, 5], [3, 77, 12, 40, 8]]) expect((await textEmbeds(cut, lengths)).equals(await textEmbeds(whole, lengths))).toBe(true);
  });

  it('cuts a text tower that picks its end token as torch exports x[arange(batch), argmax] (GatherND of pairs)', async () => {
    // The tiny tower's GatherND(last, argmax [batch, 1], batch_dims 1), rewritten into the form
    // torch.onnx gives advanced indexing: GatherND(last, [batch, 2] pairs of row and token).
    const model = onnx.ModelProto.decode(readFileSync(join(dir, 'onnx/text_model.onnx')));
    const graph = model.graph!;
    const at = graph.node!.findIndex((n) => n.opType === 'GatherND');
    const pick = graph.node![at]!;
    const [, eosIndex] = pick.input!;
    const int64s = (name: string, values: number[], dims: number[]) => onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.INT64, rawData: Buffer.from(BigInt64Array.from(values, BigInt).buffer) });
    graph.initializer!.push(int64s('pairs/zero', [0], []), int64s('pairs/one', [1], []), int64s('pairs/axis1', [1], [1]));
    const node = (opType: string, input: string[], output: string, attribute: onnxProto.onnx.IAttributeProto[] = []) => onnx.NodeProto.create({ name: output, opType, input, output: [output], attribute });
    graph.node!.splice(at, 0,
      node('Shape', ['input_ids'], 'pairs/shape'),
      node('Gather', ['pairs/shape', 'pairs/zero'], 'pairs/batch', [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]),
      node('Range', ['pairs/zero', 'pairs/batch', 'pairs/one'], 'pairs/rows'),
      node('Unsqueeze', ['pairs/rows', 'pairs/axis1'], 'pairs/row_column'),
      node('Concat', ['pairs/row_column', eosIndex!], 'pairs/indices', [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]));
    pick.input = [pick.input![0]!, 'pairs/indices'];
    pick.attribute = [];
    const source = join(dir, 'onnx/pairs_text_model.onnx');
    writeFileSync(source, onnx.ModelProto.encode(model).finish());

    expect(await prepareTower(source, ort)).toEqual({ wrote: true, tail: 'cut' });
    const copy = preparedPaths(source).model;
    expect(entering(copy, 'GatherND')).toEqual(['/text_model/encoder/layers/0/Add', '/text_model/encoder/layers/1/Reshape']);
    const [whole, cut] = await sessions(source);
    for (const lengths of [[2], [77], [3, 77, 12, 40, 8]]) expect((await textEmbeds(cut, lengths)).equals(await textEmbeds(whole, lengths))).toBe(true);
    // And the rewritten source answers what the tower did before.
    const original = await ort.InferenceSession.create(join(dir, 'onnx/text_model.onnx'));
    expect((await textEmbeds(whole, [3, 77, 12])).equals(await textEmbeds(original, [3, 77, 12]))).toBe(true);
  });

  it('cuts a tail whose LayerNorm is spelled out in primitive ops, as exports before opset 17 have it', async () => {
    // [batch, 3, 4, 12] -> 12 tokens of 12; one token-mixing MatMul over the token axis, a
    // residual, LayerNorm as ReduceMean / Sub / Pow / ReduceMean / Add / Sqrt / Div / Mul / Add,
    // a linear layer, then token 0.
    const g = createGraph('decomposed_layer_norm', 'clickhouse-clip-test');
    const values = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => (((i * k) % 17) - 8) / 16);
    const pixels = g.input('pixel_values', DType.float, ['batch_size', 3, 4, 12]);
    const tokens = g.op('Reshape', [pixels, g.int64s('to_tokens', [0, 12, 12])]);
    const mixing = g.initializer('mixing', [12, 12], values(144, 5));
    const mixed = g.op('Transpose', [g.op('MatMul', [g.op('Transpose', [tokens], { perm: ints([0, 2, 1]) }), mixing])], { perm: ints([0, 2, 1]) });
    const x = g.op('Add', [tokens, mixed]);
    const mean = g.op('ReduceMean', [x], { axes: ints([-1]) });
    const centred = g.op('Sub', [x, mean]);
    const variance = g.op('ReduceMean', [g.op('Pow', [centred, g.floatScalar('two', 2)])], { axes: ints([-1]) });
    const normed = g.op('Div', [centred, g.op('Sqrt', [g.op('Add', [variance, g.floatScalar('eps', 1e-5)])])]);
    const scaled = g.op('Add', [g.op('Mul', [normed, g.initializer('gamma', [12], values(12, 3))]), g.initializer('beta', [12], values(12, 7))]);
    const out = g.op('Add', [g.op('MatMul', [scaled, g.initializer('weight', [12, 8], values(96, 11))]), g.initializer('bias', [8], values(8, 13))]);
    g.op('Gather', [out, g.int64s('class_index', [0], true)], { axis: int(1) }, 'image_embeds');
    g.output('image_embeds', DType.float, ['batch_size', 8]);
    const source = join(dir, 'onnx/decomposed_vision_model.onnx');
    writeFileSync(source, encodeModel(g.model()));

    expect(await prepareTower(source, ort)).toEqual({ wrote: true, tail: 'cut' });
    const cutOps = graphOf(preparedPaths(source).model).node.filter((n) => n.name!.endsWith('/pooled_token')).map((n) => n.opType);
    expect(cutOps).toEqual(['Slice', 'Slice', 'Add', 'ReduceMean', 'Sub', 'Pow', 'ReduceMean', 'Add', 'Sqrt', 'Div', 'Mul', 'Add', 'MatMul', 'Add']);
    const [whole, copy] = await sessions(source);
    for (const rows of [1, 3]) expect((await imageEmbeds(copy, rows, 4, 12)).equals(await imageEmbeds(whole, rows, 4, 12))).toBe(true);
  });

  it('keeps the copy whole where the cut one does not answer the same bits', async () => {
    // A tail the rules take for per-token but is not: a [tokens, width] tensor (12 x 12) added
    // to the [batch, tokens, width] activations, computed (Relu) so that it does not look
    // constant. Picked at token 0 on axis 1 it becomes its first column, [tokens], which
    // still broadcasts along the width: the cut copy adds table[w][0] where it should add
    // table[0][w].
    const g = createGraph('not_per_token', 'clickhouse-clip-test');
    const pixels = g.input('pixel_values', DType.float, ['batch_size', 3, 4, 12]);
    const tokens = g.op('Reshape', [pixels, g.int64s('to_tokens', [0, 12, 12])]);
    const table = g.op('Relu', [g.initializer('table', [12, 12], Float32Array.from({ length: 144 }, (_, i) => (i % 7) + 1))]);
    const mixed = g.op('Add', [tokens, table]);
    g.op('Gather', [mixed, g.int64s('class_index', [0], true)], { axis: int(1) }, 'image_embeds');
    g.output('image_embeds', DType.float, ['batch_size', 12]);
    const source = join(dir, 'onnx/odd_vision_model.onnx');
    writeFileSync(source, encodeModel(g.model()));

    // The rules alone would cut it...
    expect(withPooledTokenTail(withByteInput(readFileSync(source), CLIP_MEAN, CLIP_STD)!, 'image_embeds')).not.toBeNull();
    // ...the check against the whole copy does not let them.
    expect(await prepareTower(source, ort)).toEqual({ wrote: true, tail: 'differed' });
    expect(graphOf(preparedPaths(source).model).node.some((n) => n.name!.endsWith('/pooled_token'))).toBe(false);
    const [whole, copy] = await sessions(source);
    expect((await imageEmbeds(copy, 3, 4, 12)).equals(await imageEmbeds(whole, 3, 4, 12))).toBe(true);
  });
});
