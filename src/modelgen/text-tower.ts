// CLIP's text tower (CLIPTextModelWithProjection) as onnx/text_model.onnx:
// input_ids, attention_mask int64 [batch_size, sequence_length]
//   -> text_embeds [batch_size, projection], last_hidden_state [batch_size, sequence_length, width].

import { createGraph, DType, int, type ModelIR } from './onnx-graph.ts';
import { type Ctx, encoder, layerNorm, weight } from './layers.ts';
import type { TextDims } from './sizes.ts';

// Additive bias for blocked attention: finite (float32's lowest, as HF uses) so that a row
// with every key blocked softmaxes to uniform instead of NaN.
const BLOCKED = -3.4028234663852886e38;

export function buildTextModel(dims: TextDims, projectionDim: number, seed: number): ModelIR {
  const g = createGraph('clip_text_model', 'clickhouse-clip-modelgen');
  const ctx: Ctx = { g, seed };
  const { width, vocabSize, maxPositions } = dims;
  const batch = 'batch_size';
  const seq = 'sequence_length';

  const inputIds = g.input('input_ids', DType.int64, [batch, seq]);
  const attentionMask = g.input('attention_mask', DType.int64, [batch, seq]);

  g.scope = '/text_model/embeddings';
  const zero = g.int64s('zero', [0], true);
  const one = g.int64s('one', [1], true);
  const seqLen = g.op('Gather', [g.op('Shape', [inputIds]), one], { axis: int(0) }); // scalar S
  const positions = g.op('Range', [zero, seqLen, one]); // [S]
  const tokens = g.op('Gather', [weight(ctx, 'text_model.embeddings.token_embedding.weight', [vocabSize, width], 0.02), inputIds]);
  const pos = g.op('Gather', [weight(ctx, 'text_model.embeddings.position_embedding.weight', [maxPositions, width], 0.02), positions]);
  const embeddings = g.op('Add', [tokens, pos]); // [B, S, W]

  // Key j is blocked for query i when j > i (causal) or attention_mask[b, j] == 0 (padding).
  g.scope = '/text_model/mask';
  const future = g.op('Greater', [
    g.op('Unsqueeze', [positions, g.int64s('axes_0', [0])]), // [1, S] key index
    g.op('Unsqueeze', [positions, g.int64s('axes_1', [1])]), // [S, 1] query index
  ]);
  const padding = g.op('Unsqueeze', [g.op('Equal', [attentionMask, zero]), g.int64s('axes_1_2', [1, 2])]); // [B, 1, 1, S]
  const blocked = g.op('Or', [future, padding]); // [B, 1, S, S]
  const maskBias = g.op('Where', [blocked, g.floatScalar('blocked', BLOCKED), g.floatScalar('open', 0)]);

  g.scope = '/text_model/encoder';
  const hidden = encoder(ctx, embeddings, 'text_model', dims, maskBias);
  g.scope = '/text_model';
  const last = layerNorm(ctx, hidden, 'text_model.final_layer_norm', width, 'last_hidden_state');

  // Pool at the end token, found as the highest id in each row exactly like the original
  // OpenAI model; ArgMax returns the first maximum, so pad tokens equal to <|endoftext|>
  // after it do not matter. The Cast to int32 mirrors HF's `input_ids.to(torch.int).argmax(-1)`,
  // which is what the real export contains (onnxruntime 1.30 would also take int64).
  const eosIndex = g.op('ArgMax', [g.op('Cast', [inputIds], { to: int(DType.int32) })], {
    axis: int(1),
    keepdims: int(1),
  }); // [B, 1]
  const pooled = g.op('GatherND', [last, eosIndex], { batch_dims: int(1) }); // [B, W]
  const projection = weight(ctx, 'text_projection.weight', [width, projectionDim], width ** -0.5);
  g.op('MatMul', [pooled, projection], {}, 'text_embeds');

  g.output('text_embeds', DType.float, [batch, projectionDim]);
  g.output('last_hidden_state', DType.float, [batch, seq, width]);
  return g.model();
}
