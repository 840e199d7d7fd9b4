// A prepared copy of a tower: the same graph, with its weights moved out of the .onnx into
// a data file next to it (onnx/prepared/). Why: from an .onnx with the weights inside,
// onnxruntime parses all of them through protobuf and copies them before it can start
// (ViT-B/32 vision tower, 2-core EPYC: 0.8 s); from a data file it maps them (0.35 s), and
// the pages of the text tower's 49408-token embedding table that no caption touches are
// never read at all (peak RSS of a bare session 425 -> 333 MB). The outputs are identical.
//
// onnxruntime itself writes the copy (a session with optimizations off and an output path),
// so the graph is exactly what the source holds; nothing in it depends on this machine.
// A stamp written last records what the copy was made from: a source replaced later (new
// size or mtime) or another onnxruntime makes the scripts ignore the copy and load the source.

import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const PREPARED_DIR = 'prepared';

interface Stamp {
  source: string;
  size: number;
  mtimeMs: number;
  onnxruntime: string;
}

function paths(source: string): { model: string; data: string; stamp: string } {
  const dir = join(dirname(source), PREPARED_DIR);
  const name = basename(source, '.onnx');
  return { model: join(dir, `${name}.onnx`), data: `${name}.onnx.data`, stamp: join(dir, `${name}.json`) };
}

function stampOf(source: string, onnxruntime: string): Stamp {
  const { size, mtimeMs } = statSync(source);
  return { source: basename(source), size, mtimeMs, onnxruntime };
}

type Ort = typeof import('onnxruntime-node');

function versionOf(ort: Ort): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

/**
 * The file `ort` should load for `source`: its prepared copy when one was made from this very
 * file by this onnxruntime, else the source.
 */
export function pickTowerFile(source: string, ort: Ort): string {
  const { model, stamp } = paths(source);
  try {
    const made = JSON.parse(readFileSync(stamp, 'utf8')) as Stamp;
    const now = stampOf(source, versionOf(ort));
    const same = made.source === now.source && made.size === now.size && made.mtimeMs === now.mtimeMs && made.onnxruntime === now.onnxruntime;
    return same ? model : source;
  } catch {
    return source;
  }
}

/**
 * Makes the prepared copy of `source` with onnxruntime-node's `ort`, unless an up-to-date one
 * is there; resolves to whether it wrote one.
 */
export async function prepareTower(source: string, ort: Ort): Promise<boolean> {
  if (pickTowerFile(source, ort) !== source) return false;
  const { model, data, stamp } = paths(source);
  const dir = dirname(model);
  mkdirSync(dir, { recursive: true });
  // Written in a private folder and renamed into place file by file, so a reader never
  // meets a half-written file, whoever else prepares the same folder at the same time.
  // Renaming also leaves the old data file to the processes that have it mapped: one
  // truncated under a mapping would kill them (SIGBUS). The stamp goes first and comes
  // back last, so an old stamp never vouches for a new pair of files.
  rmSync(stamp, { force: true });
  const partial = mkdtempSync(join(dir, '.partial-'));
  try {
    await ort.InferenceSession.create(source, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'disabled',
      optimizedModelFilePath: join(partial, basename(model)),
      logSeverityLevel: 3,
      extra: {
        session: {
          // onnxruntime records this name, relative to the model, inside the model.
          optimized_model_external_initializers_file_name: data,
          // Everything but scalars and shapes goes to the data file.
          optimized_model_external_initializers_min_size_in_bytes: '1024',
        },
      },
    });
    renameSync(join(partial, data), join(dir, data));
    renameSync(join(partial, basename(model)), model);
    writeFileSync(join(partial, 'stamp'), JSON.stringify(stampOf(source, versionOf(ort))) + '\n');
    renameSync(join(partial, 'stamp'), stamp);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return true;
}
