// Shapes of the generated models. Everything a caller can observe (vocabulary, context length,
// image size, patch grid, embedding size) is ViT-B/32's in both sizes; `tiny` only shrinks
// the inside of the towers so tests run in milliseconds.

export interface TowerDims {
  width: number;
  layers: number;
  heads: number;
  /** MLP hidden size. */
  mlp: number;
}

export interface TextDims extends TowerDims {
  vocabSize: number;
  maxPositions: number;
}

export interface VisionDims extends TowerDims {
  imageSize: number;
  patchSize: number;
  channels: number;
}

export interface ClipDims {
  text: TextDims;
  vision: VisionDims;
  projectionDim: number;
}

export const CLIP_SIZES = {
  tiny: {
    text: { width: 64, layers: 2, heads: 2, mlp: 256, vocabSize: 49408, maxPositions: 77 },
    vision: { width: 64, layers: 2, heads: 2, mlp: 256, imageSize: 224, patchSize: 32, channels: 3 },
    projectionDim: 512,
  },
  // openai/clip-vit-base-patch32
  base: {
    text: { width: 512, layers: 12, heads: 8, mlp: 2048, vocabSize: 49408, maxPositions: 77 },
    vision: { width: 768, layers: 12, heads: 12, mlp: 3072, imageSize: 224, patchSize: 32, channels: 3 },
    projectionDim: 512,
  },
} as const satisfies Record<string, ClipDims>;

export type ClipSize = keyof typeof CLIP_SIZES;
export const CLIP_SIZE_NAMES = Object.keys(CLIP_SIZES) as ClipSize[];

/** Tokens the vision tower sees: one class token plus the patch grid (50 for 224 / 32). */
export function visionTokens(v: VisionDims): number {
  return (v.imageSize / v.patchSize) ** 2 + 1;
}
