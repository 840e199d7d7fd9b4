// Builds dist/ and generates the seeded tiny CLIP model once per test run.
// Tests then exercise the built scripts, exactly what install.sh ships.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { disableOrtTelemetry } from '../../src/model/telemetry.ts';
import { generateClipModel } from '../../src/modelgen/index.ts';

export const ROOT = join(import.meta.dirname, '..', '..');

export default async function setup(project: TestProject): Promise<() => void> {
  // Test files that make sessions in their own process (transformers.js, prepared copies)
  // inherit this; the scripts set it themselves (src/model/telemetry.ts).
  disableOrtTelemetry();
  execFileSync(process.execPath, [join(ROOT, 'build/bundle.mjs')], { stdio: 'inherit' });
  const modelDir = join(ROOT, '.cache/test-models/clip-tiny');
  mkdirSync(join(ROOT, '.cache/test-models'), { recursive: true });
  await generateClipModel(modelDir, { size: 'tiny', seed: 42 });
  // As install.sh leaves a model folder: with the prepared copies the scripts load.
  execFileSync(process.execPath, [join(ROOT, 'dist/prepare_model.mjs'), '--model-dir', modelDir], { stdio: 'inherit' });
  project.provide('modelDir', modelDir);
  // Installs, engines and fixtures of every test file go under one folder that the run removes:
  // each run installs the scripts and a model several times over (hundreds of MB).
  const tmpRoot = mkdtempSync(join(tmpdir(), 'cc-test-'));
  project.provide('tmpRoot', tmpRoot);
  return () => rmSync(tmpRoot, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    modelDir: string;
    tmpRoot: string;
  }
}
