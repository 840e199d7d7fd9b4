export { DEFAULT_SEED, DTYPE_SUFFIX, type GenerateOptions, generateClipModel, MODEL_DTYPES, type ModelDtype } from './generate.ts';
export { CLIP_SIZE_NAMES, CLIP_SIZES, type ClipDims, type ClipSize } from './sizes.ts';
