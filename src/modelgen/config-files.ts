// config.json and preprocessor_config.json, with the fields and values of
// openai/clip-vit-base-patch32 (as re-exported by Xenova), sized from the generated dims.

import type { ClipDims, ClipSize } from './sizes.ts';

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

const COMMON = {
  attention_dropout: 0.0,
  dropout: 0.0,
  hidden_act: 'quick_gelu',
  initializer_factor: 1.0,
  initializer_range: 0.02,
  layer_norm_eps: 1e-5,
};

export function configJson(dims: ClipDims, size: ClipSize, seed: number): string {
  const { text, vision, projectionDim } = dims;
  return json({
    _name_or_path: `clickhouse-clip/random-clip-${size}-seed${seed}`,
    architectures: ['CLIPModel'],
    initializer_factor: 1.0,
    logit_scale_init_value: 2.6592,
    model_type: 'clip',
    projection_dim: projectionDim,
    text_config: {
      ...COMMON,
      // The legacy ids of the original config; eos_token_id 2 is what makes HF pool the text
      // at argmax(input_ids), as the ONNX graph does.
      bos_token_id: 0,
      eos_token_id: 2,
      pad_token_id: 1,
      hidden_size: text.width,
      intermediate_size: text.mlp,
      max_position_embeddings: text.maxPositions,
      model_type: 'clip_text_model',
      num_attention_heads: text.heads,
      num_hidden_layers: text.layers,
      projection_dim: projectionDim,
      vocab_size: text.vocabSize,
    },
    vision_config: {
      ...COMMON,
      hidden_size: vision.width,
      image_size: vision.imageSize,
      intermediate_size: vision.mlp,
      model_type: 'clip_vision_model',
      num_attention_heads: vision.heads,
      num_channels: vision.channels,
      num_hidden_layers: vision.layers,
      patch_size: vision.patchSize,
      projection_dim: projectionDim,
    },
    torch_dtype: 'float32',
    transformers_version: '4.33.0',
    // Not in the real file: marks these weights as random, so nothing mistakes them for CLIP.
    clickhouse_clip_modelgen: { size, seed, random_weights: true },
  });
}

export function preprocessorConfigJson(dims: ClipDims): string {
  const { imageSize } = dims.vision;
  return json({
    crop_size: imageSize,
    do_center_crop: true,
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    feature_extractor_type: 'CLIPFeatureExtractor',
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_processor_type: 'CLIPImageProcessor',
    image_std: [0.26862954, 0.26130258, 0.27577711],
    resample: 3, // PIL bicubic
    rescale_factor: 1 / 255,
    size: { shortest_edge: imageSize },
  });
}
