#!/usr/bin/env node
// Builds dist/: one self-contained ESM script per function, plus the native
// packages they load at run time (esbuild cannot bundle .node addons), so that
// install.sh can copy dist/ as it is onto a ClickHouse server.

import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
// Shared by transformers.js and onnxruntime-node: one copy, or the backend
// registered by onnxruntime-node is invisible to transformers.js.
const NATIVE = ['onnxruntime-node', 'onnxruntime-common', 'sharp'];
const SCRIPTS = ['encode_text', 'encode_image', 'download_model', 'prepare_model', 'verify'];

// Developer tools (the SQL runner, the model generator): not shipped to servers.
const TOOLS = { sql: 'src/tools/sql.ts', generate_model: 'src/modelgen/cli.ts' };

const common = {
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  banner: {
    // Bundled CommonJS code calls require(); ESM has none of its own.
    js: "#!/usr/bin/env node\nimport { createRequire as __ccCreateRequire } from 'node:module';\nconst require = __ccCreateRequire(import.meta.url);",
  },
};

rmSync(dist, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: Object.fromEntries([...SCRIPTS, 'preprocess_worker', 'format_worker', 'model_worker'].map((s) => [s, join(root, 'src/bin', `${s}.ts`)])),
  outdir: dist,
  external: NATIVE,
});
for (const s of SCRIPTS) chmodSync(join(dist, `${s}.mjs`), 0o755);
await build({
  ...common,
  entryPoints: Object.fromEntries(Object.entries(TOOLS).map(([name, src]) => [name, join(root, src)])),
  outdir: join(dist, 'tools'),
  external: [...NATIVE, 'chdb'],
});

// Copy the run-time closure of the native packages.
const copied = new Set();
function copyPackage(name) {
  if (copied.has(name)) return;
  const from = join(root, 'node_modules', name);
  if (!existsSync(from)) return; // an optional dependency for another platform
  copied.add(name);
  const to = join(dist, 'node_modules', name);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true, filter: (src) => keep(name, src) });
  const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) copyPackage(dep);
}

// onnxruntime-node ships every platform's binaries (~290 MB); keep this one's.
function keep(name, src) {
  if (name !== 'onnxruntime-node') return true;
  const m = /bin\/napi-v\d+\/([^/]+)(?:\/([^/]+))?/.exec(src);
  if (!m) return true;
  return m[1] === process.platform && (m[2] === undefined || m[2] === process.arch);
}

for (const name of NATIVE) copyPackage(name);
console.log(`built ${SCRIPTS.map((s) => `dist/${s}.mjs`).join(', ')} and ${copied.size} run-time packages`);
