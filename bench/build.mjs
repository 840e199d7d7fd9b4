#!/usr/bin/env node
// Bundles the benchmark (bench/*.ts) into .cache/bench/ so Node 20 can run it.
// Packages stay external: they resolve from the repository's node_modules, so
// the benchmark's onnxruntime-node is the same version the scripts ship.

import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.cache/bench');
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  outExtension: { '.js': '.mjs' },
  outdir: out,
};

await build({ ...common, entryPoints: { main: join(root, 'bench/main.ts') } });

// The in-process preprocessing probe imports src/image/, which may be mid-edit:
// a failure here only drops that diagnostic, never the benchmark.
rmSync(join(out, 'preprocess-probe.mjs'), { force: true });
try {
  await build({ ...common, logLevel: 'silent', entryPoints: { 'preprocess-probe': join(root, 'bench/preprocess-probe.ts') } });
} catch (err) {
  console.error(`bench/build: skipping the preprocessing probe (src/image does not build): ${err.message.split('\n')[0]}`);
}
