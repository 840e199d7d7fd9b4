// The building blocks shared by both CLIP towers, emitted as plain ONNX ops in the shape the
// Hugging Face / Optimum exporter produces (separate q/k/v MatMuls, explicit Softmax), so the
// ViT-B/32-sized graph costs onnxruntime the same work as the real export.

import { type Graph, float, int, ints } from './onnx-graph.ts';
import { fillNormal, tensorSeed } from './rng.ts';
import type { TowerDims } from './sizes.ts';

/** What every layer needs: the graph to add to and the seed its weights derive from. */
export interface Ctx {
  g: Graph;
  seed: number;
}

const LAYER_NORM_EPS = 1e-5;
// Biases and LayerNorm parameters get a little noise instead of HF's exact 0 / 1 so that a
// broadcast or transposition mistake in the graph changes the output instead of hiding.
const BIAS_STD = 0.01;
const LN_STD = 0.02;

/** A seeded random initializer named like the Hugging Face parameter it stands for. */
export function weight(ctx: Ctx, name: string, dims: number[], std: number, mean = 0): string {
  const size = dims.reduce((a, b) => a * b, 1);
  return ctx.g.initializer(name, dims, fillNormal(new Float32Array(size), tensorSeed(ctx.seed, name), std, mean));
}

/** x @ W (+ b). W is stored [in, out], the layout torch.onnx gives nn.Linear. */
export function linear(ctx: Ctx, x: string, name: string, inDim: number, outDim: number, std: number, bias = true): string {
  const y = ctx.g.op('MatMul', [x, weight(ctx, `${name}.weight`, [inDim, outDim], std)]);
  return bias ? ctx.g.op('Add', [y, weight(ctx, `${name}.bias`, [outDim], BIAS_STD)]) : y;
}

export function layerNorm(ctx: Ctx, x: string, name: string, dim: number, out?: string): string {
  const gamma = weight(ctx, `${name}.weight`, [dim], LN_STD, 1);
  const beta = weight(ctx, `${name}.bias`, [dim], LN_STD);
  return ctx.g.op('LayerNormalization', [x, gamma, beta], { axis: int(-1), epsilon: float(LAYER_NORM_EPS) }, out);
}

/** CLIP's activation: x * sigmoid(1.702 x). */
export function quickGelu(ctx: Ctx, x: string): string {
  const { g } = ctx;
  return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, g.floatScalar('quick_gelu_alpha', 1.702)])])]);
}

/**
 * Multi-head self-attention on [B, S, W]. `maskBias`, when given, is an additive float
 * [B or 1, 1, S, S] tensor (0 = attend, very negative = blocked).
 */
export function selfAttention(ctx: Ctx, x: string, name: string, dims: TowerDims, maskBias?: string): string {
  const { g } = ctx;
  const { width, heads, layers } = dims;
  const headDim = width / heads;
  // Hugging Face CLIP's init (v and out_proj), except for q and k: its q/k std of
  // 1/sqrt(2 * layers * width) makes attention logits ~0.04, i.e. uniform attention, and an
  // untrained tower that averages its tokens maps all images to nearly one embedding
  // (cosine > 0.99). q/k std 2/sqrt(width) gives logits with std ~4: attention that depends
  // on content, and cosines between unrelated inputs of 0.5-0.9, like trained CLIP.
  const vStd = width ** -0.5 * (2 * layers) ** -0.5;
  const qkStd = 2 * width ** -0.5;
  const outStd = width ** -0.5;

  // Reshape with 0 copies that input dim, so batch and sequence stay dynamic without Shape ops.
  const splitHeads = g.int64s(`split_heads_${heads}x${headDim}`, [0, 0, heads, headDim]);
  const toHeads = (t: string) => g.op('Reshape', [t, splitHeads]);

  const scale = g.floatScalar(`attn_scale_${headDim}`, headDim ** -0.5);
  const q = g.op('Mul', [linear(ctx, x, `${name}.q_proj`, width, width, qkStd), scale]);
  const k = linear(ctx, x, `${name}.k_proj`, width, width, qkStd);
  const v = linear(ctx, x, `${name}.v_proj`, width, width, vStd);

  const qh = g.op('Transpose', [toHeads(q)], { perm: ints([0, 2, 1, 3]) }); // [B, H, S, D]
  const kt = g.op('Transpose', [toHeads(k)], { perm: ints([0, 2, 3, 1]) }); // [B, H, D, S]
  const vh = g.op('Transpose', [toHeads(v)], { perm: ints([0, 2, 1, 3]) }); // [B, H, S, D]

  let scores = g.op('MatMul', [qh, kt]); // [B, H, S, S]
  if (maskBias) scores = g.op('Add', [scores, maskBias]);
  const probs = g.op('Softmax', [scores], { axis: int(-1) });
  const context = g.op('Transpose', [g.op('MatMul', [probs, vh])], { perm: ints([0, 2, 1, 3]) }); // [B, S, H, D]
  const merged = g.op('Reshape', [context, g.int64s(`merge_heads_${width}`, [0, 0, width])]);
  return linear(ctx, merged, `${name}.out_proj`, width, width, outStd);
}

/** One pre-LayerNorm transformer block: x + attn(ln1(x)), then x + mlp(ln2(x)). */
export function encoderLayer(ctx: Ctx, x: string, name: string, dims: TowerDims, maskBias?: string): string {
  const { g } = ctx;
  const { width, mlp, layers } = dims;
  const outerScope = g.scope;
  g.scope = `/${name.replaceAll('.', '/')}`;

  const attn = selfAttention(ctx, layerNorm(ctx, x, `${name}.layer_norm1`, width), `${name}.self_attn`, dims, maskBias);
  const h = g.op('Add', [x, attn]);

  const fc1Std = (2 * width) ** -0.5;
  const fc2Std = width ** -0.5 * (2 * layers) ** -0.5;
  const up = linear(ctx, layerNorm(ctx, h, `${name}.layer_norm2`, width), `${name}.mlp.fc1`, width, mlp, fc1Std);
  const down = linear(ctx, quickGelu(ctx, up), `${name}.mlp.fc2`, mlp, width, fc2Std);
  const out = g.op('Add', [h, down]);

  g.scope = outerScope;
  return out;
}

/** Runs `layers` encoder blocks named like HF's `<prefix>.encoder.layers.<i>`. */
export function encoder(ctx: Ctx, x: string, prefix: string, dims: TowerDims, maskBias?: string): string {
  let h = x;
  for (let i = 0; i < dims.layers; i++) h = encoderLayer(ctx, h, `${prefix}.encoder.layers.${i}`, dims, maskBias);
  return h;
}
