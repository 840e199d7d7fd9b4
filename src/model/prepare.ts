// Writing a prepared copy of a tower (see prepared.ts for what it is and when it is used).

import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CLIP_MEAN, CLIP_STD } from '../image/normalize.ts';
import { withByteInput } from './byte-input.ts';
import { pickTowerFile, preparedPaths, stampOf, versionOf, type Ort } from './prepared.ts';
import { disableOrtTelemetry } from './telemetry.ts';

/**
 * Makes the prepared copy of `source` with onnxruntime-node's `ort`, unless an up-to-date one
 * is there; resolves to whether it wrote one.
 */
export async function prepareTower(source: string, ort: Ort): Promise<boolean> {
  if (pickTowerFile(source, ort) !== source) return false;
  disableOrtTelemetry();
  const { model, data, stamp } = preparedPaths(source);
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
    const written = join(partial, basename(model));
    const bytes = withByteInput(readFileSync(written), CLIP_MEAN, CLIP_STD);
    if (bytes) writeFileSync(written, bytes);
    renameSync(join(partial, data), join(dir, data));
    renameSync(written, model);
    writeFileSync(join(partial, 'stamp'), JSON.stringify(stampOf(source, versionOf(ort))) + '\n');
    renameSync(join(partial, 'stamp'), stamp);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return true;
}
