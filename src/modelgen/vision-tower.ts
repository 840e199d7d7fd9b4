// CLIP's vision tower (CLIPVisionModelWithProjection) as onnx/vision_model.onnx:
// pixel_values float32 [batch_size, 3, 224, 224]
//   -> image_embeds [batch_size, projection], last_hidden_state [batch_size, 50, width].

import { createGraph, DType, int, ints, type ModelIR } from './onnx-graph.ts';
import { type Ctx, encoder, layerNorm, weight } from './layers.ts';
import { type VisionDims, visionTokens } from './sizes.ts';

export function buildVisionModel(dims: VisionDims, projectionDim: number, seed: number): ModelIR {
  const g = createGraph('clip_vision_model', 'clickhouse-clip-modelgen');
  const ctx: Ctx = { g, seed };
  const { width, imageSize, patchSize, channels } = dims;
  const tokens = visionTokens(dims);
  const batch = 'batch_size';

  const pixels = g.input('pixel_values', DType.float, [batch, channels, imageSize, imageSize]);

  g.scope = '/vision_model/embeddings';
  // Patch embedding: a stride-32 convolution without bias, then [B, W, 7, 7] -> [B, 49, W].
  const patchWeight = weight(ctx, 'vision_model.embeddings.patch_embedding.weight', [width, channels, patchSize, patchSize], 0.02);
  const grid = g.op('Conv', [pixels, patchWeight], {
    kernel_shape: ints([patchSize, patchSize]),
    strides: ints([patchSize, patchSize]),
  });
  const flat = g.op('Reshape', [grid, g.int64s('flatten_grid', [0, width, -1])]);
  const patches = g.op('Transpose', [flat], { perm: ints([0, 2, 1]) });

  // The class embedding is one learned token, broadcast to every image of the batch.
  const classEmbedding = weight(ctx, 'vision_model.embeddings.class_embedding', [width], width ** -0.5);
  const classToken = g.op('Reshape', [classEmbedding, g.int64s('class_shape', [1, 1, width])]);
  const batchSize = g.op('Shape', [pixels], { start: int(0), end: int(1) }); // [1]
  const classShape = g.op('Concat', [batchSize, g.int64s('one_by_width', [1, width])], { axis: int(0) });
  const classTokens = g.op('Expand', [classToken, classShape]); // [B, 1, W]
  const sequence = g.op('Concat', [classTokens, patches], { axis: int(1) }); // [B, 50, W]
  const positions = weight(ctx, 'vision_model.embeddings.position_embedding.weight', [tokens, width], 0.02);
  const embeddings = g.op('Add', [sequence, positions]);

  g.scope = '/vision_model';
  const normed = layerNorm(ctx, embeddings, 'vision_model.pre_layrnorm', width); // sic: HF's spelling
  g.scope = '/vision_model/encoder';
  const hidden = encoder(ctx, normed, 'vision_model', dims);
  g.scope = '/vision_model';
  // HF returns the encoder output itself as last_hidden_state; only the pooled class token
  // goes through post_layernorm.
  const last = g.op('Identity', [hidden], {}, 'last_hidden_state');
  const classOut = g.op('Gather', [last, g.int64s('class_index', [0], true)], { axis: int(1) }); // [B, W]
  const pooled = layerNorm(ctx, classOut, 'vision_model.post_layernorm', width);
  const projection = weight(ctx, 'visual_projection.weight', [width, projectionDim], width ** -0.5);
  g.op('MatMul', [pooled, projection], {}, 'image_embeds');

  g.output('image_embeds', DType.float, [batch, projectionDim]);
  g.output('last_hidden_state', DType.float, [batch, tokens, width]);
  return g.model();
}
