#!/usr/bin/env node
// Bundles the benchmark (bench/*.ts) into .cache/bench/ so Node 20 can run it.
// Packages stay external: they resolve from the repository's node_modules, so
// the benchmark's onnxruntime-node is the same version the scripts ship.

import { build } from 'esbuild';
import { cpSync, existsSync, rmSync } from 'node:fs';
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

await build({
  ...common,
  entryPoints: { main: join(root, 'bench/main.ts'), 'rss-probe': join(root, 'bench/rss-probe.ts'), 'chdb-child': join(root, 'bench/chdb-child.ts'), ab: join(root, 'bench/ab.ts') },
});

// A private copy of the scripts just built: dist/ is shared, and other work
// rebuilds it (deleting it first) at any time; (b) and (d) run this copy.
const snapshot = join(out, 'dist');
rmSync(snapshot, { recursive: true, force: true });
if (!existsSync(join(root, 'dist/encode_text.mjs'))) throw new Error('bench/build: dist/ is missing; run node build/bundle.mjs first');
cpSync(join(root, 'dist'), snapshot, { recursive: true });

// The in-process preprocessing probe imports src/image/, which may be mid-edit:
// a failure here only drops that diagnostic, never the benchmark.
rmSync(join(out, 'preprocess-probe.mjs'), { force: true });
try {
  await build({ ...common, logLevel: 'silent', entryPoints: { 'preprocess-probe': join(root, 'bench/preprocess-probe.ts') } });
} catch (err) {
  console.error(`bench/build: skipping the preprocessing probe (src/image does not build): ${err.message.split('\n')[0]}`);
}
