// `npm run bench`: one run of every measurement, printed as ratios to the raw
// towers (a). See bench/README.md for what each letter measures.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { installAccepts, scriptAccepts } from './capabilities.ts';
import { captions as makeCaptions } from './captions.ts';
import { type ColdResult } from './coldstart.ts';
import { attemptOrError, coreRun, type CoreResults } from './core.ts';
import { BLOCKS, concurrencyRun, MIN_TEXT_BLOCK } from './concurrency.ts';
import { diagnostics } from './diagnostics.ts';
import { dtypesRun } from './dtypes.ts';
import { machine, packageVersion } from './machine.ts';
import { disableOrtTelemetry } from '../src/model/telemetry.ts';
import { ensureModel, prepareModel } from './model.ts';
import { parseBenchOptions, USAGE } from './options.ts';
import { photos as makePhotos } from './photos.ts';
import { rawText, rawVision, runOn } from './raw.ts';
import { json, render, type Maybe, type Results } from './report.ts';
import { median, percentile } from './stats.ts';
import { CONTEXT, loadTokenizer } from './tokenize.ts';

const started = performance.now();
const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);

function findRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'clickhouse-clip') return dir;
  }
  throw new Error('cannot find the clickhouse-clip repository root above ' + import.meta.url);
}

const attempt = <T>(what: string, fn: () => Promise<T>): Promise<Maybe<T>> => attemptOrError(what, log, fn);

async function main(): Promise<void> {
  // (a) and the dtypes run onnxruntime in this process, as the scripts do in theirs.
  disableOrtTelemetry();
  const root = findRoot();
  const options = parseBenchOptions(process.argv.slice(2), root);
  if (options === null) {
    process.stdout.write(USAGE);
    return;
  }
  const m = machine();
  const threads = m.cores;
  // (b) and (d) run bench/build.mjs's private copy of dist/, which others may rebuild meanwhile.
  const dist = fileURLToPath(new URL('./dist/', import.meta.url));
  log(`${m.cores} cores (${m.cpu}), load average ${m.loadAvgStart.join(' ')}`);

  const model = await ensureModel(options.modelDir, options.generated, log);
  log(`model ${model.dir}${model.randomWeights ? ' (random weights)' : ''}`);
  // As install.sh leaves the folder: the scripts (and the memory floor) load the prepared copies.
  for (const line of prepareModel(dist, model.dir)) log(line);

  // Inputs: the same captions and photos for every measurement.
  const captions = makeCaptions(options.texts, options.seed);
  const photos = await makePhotos(options.images, options.seed, join(root, '.cache/bench-inputs'), log);
  const paths = Array.from({ length: options.imageRows }, (_, i) => photos[i % photos.length].path);
  const on = runOn(options.device);
  const tokenize = await loadTokenizer(model.dir);
  const tokenIds = captions.map(tokenize);
  const lengths = tokenIds.map((ids) => ids.length);
  const bySize = [...photos].sort((a, b) => a.width * a.height - b.width * b.height);
  const inputs = {
    captions: captions.length,
    tokens: {
      min: Math.min(...lengths), median: median(lengths), p90: percentile(lengths, 90), max: Math.max(...lengths),
      truncated: lengths.filter((n) => n === CONTEXT).length,
    },
    photos: photos.length,
    imageRows: paths.length,
    jpeg: photos.filter((p) => p.format === 'jpeg').length,
    png: photos.filter((p) => p.format === 'png').length,
    smallest: `${bySize[0].width}x${bySize[0].height}`,
    largest: `${bySize[bySize.length - 1].width}x${bySize[bySize.length - 1].height}`,
    megabytes: photos.reduce((s, p) => s + p.bytes, 0) / 1e6,
  };
  log(`inputs: ${captions.length} captions (median ${inputs.tokens.median} tokens), ${photos.length} photos (${inputs.megabytes.toFixed(1)} MB)`);

  const core = options.sections.has('core');
  const skipped = { error: 'skipped (--sections)' };
  const skippedCold: ColdResult = { runs: [], median: NaN, importMs: NaN, peakRss: null, error: 'skipped (--sections)' };

  const scriptArgs = ['--model-dir', model.dir, '--threads', String(threads), ...(on.device === 'cpu' ? [] : ['--device', on.device])];
  // A newer encode_image reads files only below directories it is given.
  const photoDir = dirname(paths[0]);
  const imageArgs = scriptAccepts(dist, 'encode_image', '--allow-dir') ? [...scriptArgs, '--allow-dir', photoDir] : scriptArgs;
  const installExtra = [...(installAccepts(root, '--allow-dir') ? ['--allow-dir', photoDir] : []), ...(on.device === 'cpu' ? [] : ['--device', on.device])];

  let measured: CoreResults = {
    raw: { text: skipped, vision: skipped },
    pipe: { text: skipped, image: skipped },
    clickhouse: null,
    cold: { text: skippedCold, image: skippedCold },
    memoryFloor: { text: skipped, vision: skipped },
  };
  if (core) {
    const jpegs = bySize.filter((p) => p.format === 'jpeg');
    measured = await coreRun({
      dist, root, modelDir: model.dir, threads, on, tries: options.tries, coldRuns: options.coldRuns, captions, tokenIds, paths,
      coldPhoto: (jpegs.length ? jpegs : bySize)[Math.floor((jpegs.length || bySize.length) / 2)].path,
      textArgs: scriptArgs, imageArgs, installArgs: installExtra, clickhouse: options.clickhouse, log,
    });
  } else if (options.sections.has('pool')) {
    // The pool section's ratios are taken against (a).
    log('(a) raw text tower');
    measured.raw.text = await attempt('(a) raw text', () => rawText(model.dir, tokenIds, on, threads, options.tries));
    log('(a) raw vision tower');
    measured.raw.vision = await attempt('(a) raw vision', () => rawVision(model.dir, paths.length, on, threads, options.tries));
  }
  const { raw, pipe, clickhouse, cold, memoryFloor } = measured;

  let dtypes: Results['dtypes'] = null;
  if (options.sections.has('dtypes')) {
    log(`dtypes: ${options.dtypes.join(' / ')} on the first ${options.dtypeTexts} captions and ${options.dtypeImages} photos`);
    dtypes = await attempt('dtypes', () => dtypesRun({
      modelDir: model.dir, dist, threads, rounds: options.tries, log, on, tokenIds: tokenIds.slice(0, options.dtypeTexts),
      captions: captions.slice(0, options.dtypeTexts), paths: paths.slice(0, options.dtypeImages), textArgs: scriptArgs, imageArgs, dtypes: options.dtypes,
    }));
  }

  let concurrency: Results['concurrency'] = null;
  const pool = options.sections.has('pool');
  const executable = options.sections.has('executable');
  if (pool || executable) {
    // Blocks of at least MIN_TEXT_BLOCK captions (the script's sorting window): more captions
    // than the other sections unless --quick; the first ones are the same.
    const poolCaptions = options.quick ? captions : makeCaptions(Math.max(options.texts, BLOCKS * MIN_TEXT_BLOCK), options.seed);
    log(`chDB concurrency: ${[pool && 'pool_size 1 / 2 / 4', executable && 'executable mode'].filter(Boolean).join(', ')}; ${poolCaptions.length} captions, ${paths.length} photos in ${BLOCKS} blocks`);
    concurrency = await attempt('concurrency', () => concurrencyRun({
      root, modelDir: model.dir, cores: threads, captions: poolCaptions, paths, rounds: options.tries, pool, executable, log, extraInstall: installExtra,
    }));
  }

  let diag: Results['diagnostics'] = skipped;
  if (core) {
    log('diagnostics: tokenizing, printing, preprocessing');
    diag = await attempt('diagnostics', () => diagnostics(tokenize, captions, photos));
  }

  const results: Results = {
    machine: m,
    versions: {
      transformers: packageVersion(root, '@huggingface/transformers'),
      sharp: packageVersion(root, 'sharp'),
      chdb: packageVersion(root, 'chdb'),
    },
    model,
    run: {
      quick: options.quick, sections: [...options.sections], threads, on, tries: options.tries, textArgs: scriptArgs, imageArgs, installArgs: installExtra,
      seconds: (performance.now() - started) / 1000, loadAvgEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    inputs,
    raw,
    pipe,
    clickhouse,
    cold,
    memoryFloor,
    diagnostics: diag,
    dtypes,
    concurrency,
  };
  process.stdout.write(render(results) + '\n' + json(results) + '\n');
}

main().then(
  // onnxruntime and chDB keep threads alive: leave once the report is out.
  () => process.stdout.write('', () => process.exit(0)),
  (err: Error) => {
    process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
