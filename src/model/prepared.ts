// A prepared copy of a tower: the same graph, with its weights moved out of the .onnx into
// a data file next to it (onnx/prepared/). Why: from an .onnx with the weights inside,
// onnxruntime parses all of them through protobuf and copies them before it can start
// (ViT-B/32 vision tower, 2-core EPYC: 0.8 s); from a data file it maps them (0.35 s), and
// the pages of the text tower's 49408-token embedding table that no caption touches are
// never read at all (peak RSS of a bare session 425 -> 333 MB). The outputs are identical.
//
// onnxruntime itself writes the copy (a session with optimizations off and an output path),
// so the graph is what the source holds, with two changes: a vision tower takes the photos as
// bytes (byte-input.ts), which the scripts then hand it, and both towers run their last layer
// on the one token the embedding is made of (pooled-token.ts), checked as the copy is made to
// answer the same bits.
// prepare.ts makes the copy, kept apart so that the scripts do not carry its ONNX editing.
// A stamp written last records what the copy was made from: a source replaced later (new
// size or mtime), another onnxruntime or a copy of an older layout makes the scripts ignore
// the copy and load the source.

import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const PREPARED_DIR = 'prepared';

// 2: vision copies take bytes (byte-input.ts); 3: copies run their last layer on the pooled
// token alone (pooled-token.ts). A copy stamped before is ignored like a stale one, and
// prepare_model renews it.
const LAYOUT = 3;

interface Stamp {
  source: string;
  size: number;
  mtimeMs: number;
  onnxruntime: string;
  layout: number;
}

export function preparedPaths(source: string): { model: string; data: string; stamp: string } {
  const dir = join(dirname(source), PREPARED_DIR);
  const name = basename(source, '.onnx');
  return { model: join(dir, `${name}.onnx`), data: `${name}.onnx.data`, stamp: join(dir, `${name}.json`) };
}

export function stampOf(source: string, onnxruntime: string): Stamp {
  const { size, mtimeMs } = statSync(source);
  return { source: basename(source), size, mtimeMs, onnxruntime, layout: LAYOUT };
}

export type Ort = typeof import('onnxruntime-node');

export function versionOf(ort: Ort): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

/**
 * The file `ort` should load for `source`: its prepared copy when one was made from this very
 * file by this onnxruntime, else the source.
 */
export function pickTowerFile(source: string, ort: Ort): string {
  const { model, stamp } = preparedPaths(source);
  try {
    const made = JSON.parse(readFileSync(stamp, 'utf8')) as Stamp;
    const now = stampOf(source, versionOf(ort));
    const same = made.source === now.source && made.size === now.size && made.mtimeMs === now.mtimeMs && made.onnxruntime === now.onnxruntime && made.layout === now.layout;
    return same ? model : source;
  } catch {
    return source;
  }
}
