import { generateClipModel } from '/work/main/src/modelgen/index.ts';
export default async function setup(project: any) {
  const modelDir = '/work/main/.cache/test-models/clip-tiny';
  await generateClipModel(modelDir, { size: 'tiny', seed: 42 });
  project.provide('modelDir', modelDir);
}
