// The readable table (stdout) and the BENCH_JSON line that ends it.

import type { ClickHouseResult, ClickHouseRun } from './clickhouse.ts';
import type { ColdResult } from './coldstart.ts';
import type { Diagnostics } from './diagnostics.ts';
import type { Machine } from './machine.ts';
import type { ModelInfo } from './model.ts';
import type { PipeResult } from './pipe.ts';
import type { RawResult, RawText } from './raw.ts';

export type Failed = { error: string };
export type Maybe<T> = T | Failed;

export interface InputsInfo {
  captions: number;
  tokens: { min: number; median: number; p90: number; max: number; truncated: number };
  photos: number;
  jpeg: number;
  png: number;
  smallest: string;
  largest: string;
  megabytes: number;
}

export interface Results {
  machine: Machine;
  versions: Record<string, string>;
  model: ModelInfo;
  run: { quick: boolean; threads: number; seconds: number; loadAvgEnd: number[] };
  inputs: InputsInfo;
  raw: { text: Maybe<RawText>; vision: Maybe<RawResult> };
  pipe: { text: Maybe<PipeResult>; image: Maybe<PipeResult> };
  clickhouse: Maybe<ClickHouseResult> | null;
  cold: { text: ColdResult; image: ColdResult };
  diagnostics: Maybe<Diagnostics>;
}

export const TARGETS = { textRatio: 0.95, imageRatio: 0.85, coldStartMs: 1000, rssRatio: 1.5 };

const ok = <T extends object>(x: Maybe<T> | null | undefined): x is T => x != null && !('error' in x);
const mb = (bytes: number | null | undefined) => (bytes == null ? '-' : `${Math.round(bytes / 1e6)} MB`);
const f = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const verdict = (pass: boolean) => (pass ? 'ok' : 'MISS');

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ').trimEnd()).join('\n');
}

function rateRow(label: string, r: Maybe<{ rate: number }> | null | undefined, ceiling: number | null, target: number | null): string[] {
  if (r == null) return [label, 'skipped'];
  if (!ok(r)) return [label, `FAILED: ${(r as Failed).error}`];
  const ratio = ceiling ? r.rate / ceiling : NaN;
  return [label, f(r.rate), f(1000 / r.rate, 2), `${f(ratio, 2)}x`, target === null ? '' : `>= ${target}x`, target === null ? '' : verdict(ratio >= target)];
}

export function render(res: Results): string {
  const { machine: m, model, inputs } = res;
  const out: string[] = [];
  out.push(`clickhouse-clip bench: ${m.cores} cores, ${m.cpu}, ${m.memoryGiB} GiB, node ${m.node}, onnxruntime-node ${m.onnxruntime}` +
    `, transformers.js ${res.versions.transformers}, sharp ${res.versions.sharp}, chdb ${res.versions.chdb}`);
  out.push(`model: ${model.dir} (${model.name})${model.randomWeights ? ': RANDOM WEIGHTS, ViT-B/32 shapes (speed is right, vectors mean nothing)' : ''}`);
  out.push(`inputs${res.run.quick ? ' (--quick)' : ''}: ${inputs.captions} LAION-like captions (tokens incl. start/end: min ${inputs.tokens.min}, median ${inputs.tokens.median}, ` +
    `p90 ${inputs.tokens.p90}, max ${inputs.tokens.max}; ${inputs.tokens.truncated} cut to 77), ${inputs.photos} photos (${inputs.jpeg} JPEG, ${inputs.png} PNG, ` +
    `${inputs.smallest} to ${inputs.largest}, ${f(inputs.megabytes)} MB)`);
  out.push(`threads: ${res.run.threads} intra-op everywhere; load average at start ${m.loadAvgStart.join(' ')}, at end ${res.run.loadAvgEnd.join(' ')}` +
    (m.loadAvgStart[0] > 0.5 ? '  (WARNING: the machine was busy; every number is skewed)' : ''));
  out.push('');

  const rawText = ok(res.raw.text) ? res.raw.text : null;
  const ch = ok(res.clickhouse) ? res.clickhouse : null;
  const chText = res.clickhouse === null ? null : ch ? ch.text : res.clickhouse;
  const chImage = res.clickhouse === null ? null : ch ? ch.image : res.clickhouse;
  const textCeiling = rawText?.sorted.rate ?? null;
  out.push(table([
    [`TEXT (${inputs.captions} captions)`, 'items/s', 'ms/item', 'vs (a)', 'target', ''],
    rateRow('(a) raw text tower, sorted by length, batch 32', rawText ? rawText.sorted : res.raw.text as Failed, textCeiling, null),
    rateRow('    raw, input order, batch 32 (what batching costs)', rawText ? rawText.inOrder : null, textCeiling, null),
    rateRow('(b) dist/encode_text.mjs over a pipe, one block', res.pipe.text, textCeiling, TARGETS.textRatio),
    rateRow('(c) encode_text in chDB, warm pool, max_threads 1', chText, textCeiling, TARGETS.textRatio),
  ]));
  out.push('');
  const visionCeiling = ok(res.raw.vision) ? res.raw.vision.rate : null;
  out.push(table([
    [`IMAGES (${inputs.photos} photos)`, 'items/s', 'ms/item', 'vs (a)', 'target', ''],
    rateRow('(a) raw vision tower, batch 8, pixels ready', res.raw.vision, visionCeiling, null),
    rateRow('(b) dist/encode_image.mjs over a pipe, one block', res.pipe.image, visionCeiling, TARGETS.imageRatio),
    rateRow('(c) encode_image in chDB, warm pool, max_threads 1', chImage, visionCeiling, TARGETS.imageRatio),
  ]));
  for (const [name, r] of [['encode_text', res.pipe.text], ['encode_image', res.pipe.image], ['chDB encode_image', chImage]] as const) {
    if (ok(r) && (r as { empties: number }).empties > 0) out.push(`  NOTE: ${name} answered [] for ${(r as { empties: number }).empties} rows`);
  }
  out.push('');

  const coldRow = (label: string, c: ColdResult, rawLoad: number | undefined): string[] => {
    if (c.error && c.runs.length === 0) return [label, `FAILED: ${c.error}`];
    return [label, `${f(c.median, 0)} ms`, c.runs.map((x) => f(x, 0)).join(' / '), `${f(c.importMs, 0)} ms`,
      rawLoad ? `${f(rawLoad, 0)} ms` : '-', rawLoad ? `${f(c.median / rawLoad, 2)}x` : '-', `<= ${TARGETS.coldStartMs} ms`, verdict(c.median <= TARGETS.coldStartMs)];
  };
  const rawVision = ok(res.raw.vision) ? res.raw.vision : null;
  out.push(table([
    ['COLD START (spawn to first answered row)', 'median', 'runs (ms)', 'import only', '(a) load', 'vs (a)', 'target', ''],
    coldRow('(d) encode_text, 1 caption', res.cold.text, rawText?.sorted.loadMs),
    coldRow('(d) encode_image, 1 photo', res.cold.image, rawVision?.loadMs),
  ]));
  if (ch) {
    const cold = (r: Maybe<ClickHouseRun>) => (ok(r) ? `${f(r.coldQueryMs, 0)} ms` : 'failed');
    out.push(`    through chDB, first query on a cold pool (spawn by ClickHouse, load, 1 row): encode_text ${cold(ch.text)}, encode_image ${cold(ch.image)}`);
  }
  out.push('    "import only" = spawn to exit of `--help` (node start + loading the bundle); "(a) load" = InferenceSession.create in (a)');
  out.push('');

  const rssRow = (label: string, peak: number | null | undefined, weights: number): string[] => {
    if (peak == null) return [label, 'not measured'];
    const ratio = peak / weights;
    return [label, mb(peak), mb(weights), `${f(ratio, 2)}x`, `<= ${TARGETS.rssRatio}x`, verdict(ratio <= TARGETS.rssRatio)];
  };
  const pipePeak = (r: Maybe<PipeResult>) => (ok(r) ? r.peakRss : null);
  const chPeak = (r: Maybe<ClickHouseRun> | null) => (r && ok(r) ? r.peakRss : null);
  out.push(table([
    ['PEAK RSS per process (VmHWM)', 'peak', 'weights', 'ratio', 'target', ''],
    rssRow('(e) encode_text, after (b)', pipePeak(res.pipe.text), model.textWeightBytes),
    rssRow('(e) encode_image, after (b)', pipePeak(res.pipe.image), model.visionWeightBytes),
    rssRow('    encode_text chDB pool process, after (c)', chPeak(chText as Maybe<ClickHouseRun> | null), model.textWeightBytes),
    rssRow('    encode_image chDB pool process, after (c)', chPeak(chImage as Maybe<ClickHouseRun> | null), model.visionWeightBytes),
  ]));
  out.push('');

  out.push('WHERE THE TIME GOES (per item)');
  const d = ok(res.diagnostics) ? res.diagnostics : null;
  if (rawText) {
    out.push(`  text: raw ${f(1000 / rawText.sorted.rate, 2)} ms sorted; input-order batching +${f(1000 / rawText.inOrder.rate - 1000 / rawText.sorted.rate, 2)} ms` +
      (ok(res.pipe.text) ? `; pipe total +${f(1000 / res.pipe.text.rate - 1000 / rawText.sorted.rate, 2)} ms over raw` : '') +
      (d ? `; of which tokenizing ${f(d.tokenizeMsPerRow, 3)} ms, printing the 512-vector ${f(d.formatMsPerRow, 3)} ms` : ''));
  }
  if (rawVision) {
    const pre = d && ok(d.preprocess) ? d.preprocess : null;
    out.push(`  images: raw ${f(1000 / rawVision.rate, 1)} ms` +
      (ok(res.pipe.image) ? `; pipe total +${f(1000 / res.pipe.image.rate - 1000 / rawVision.rate, 1)} ms over raw` : '') +
      (pre ? `; src/image preprocessing alone ${f(pre.msPerImage, 1)} ms (${Object.entries(pre.byFormat).map(([k, v]) => `${k} ${f(v, 1)}`).join(', ')}; largest ${f(pre.largestMs, 0)} ms)` : '') +
      (d && !ok(d.preprocess) ? `; src/image preprocessing could not run: ${(d.preprocess as Failed).error}` : '') +
      (d ? `; sharp decode+resize for scale ${f(d.sharpMsPerImage, 1)} ms` : ''));
  }
  if (!d && res.diagnostics) out.push(`  diagnostics failed: ${(res.diagnostics as Failed).error}`);
  out.push('');
  out.push(`total ${f(res.run.seconds, 0)} s`);
  return out.join('\n');
}

export function json(res: Results): string {
  return 'BENCH_JSON ' + JSON.stringify(res, (_, v) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v));
}
