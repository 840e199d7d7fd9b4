export { DEFAULT_SEED, type GenerateOptions, generateClipModel } from './generate.ts';
export { CLIP_SIZE_NAMES, CLIP_SIZES, type ClipDims, type ClipSize } from './sizes.ts';
