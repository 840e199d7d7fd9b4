// The ground truth the UDFs are held to: the ONNX towers run directly with
// onnxruntime-node, without any of our code in between.

import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

export async function referenceText(modelDir: string, ids: number[][]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(join(modelDir, 'onnx/text_model.onnx'));
  const out: Float32Array[] = [];
  for (const row of ids) {
    // One row at a time, unpadded: independent of any batching we do.
    const t = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, values.length]);
    const result = await session.run({ input_ids: t(row), attention_mask: t(row.map(() => 1)) });
    out.push(normalized(result.text_embeds.data as Float32Array));
  }
  await session.release();
  return out;
}

export async function referenceImage(modelDir: string, pixels: Float32Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(join(modelDir, 'onnx/vision_model.onnx'));
  const result = await session.run({ pixel_values: new ort.Tensor('float32', pixels, [1, 3, 224, 224]) });
  await session.release();
  return normalized(result.image_embeds.data as Float32Array);
}

function normalized(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  return v.map((x) => x / n);
}
