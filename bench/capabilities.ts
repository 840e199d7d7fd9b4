// The scripts and install.sh are still growing options; the bench asks their
// --help what they accept instead of assuming one version (e.g. --allow-dir,
// without which a newer encode_image reads no file at all).

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

function helpOf(command: string, args: string[]): string {
  const run = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  return `${run.stdout ?? ''}${run.stderr ?? ''}`;
}

export function scriptAccepts(distDir: string, script: string, option: string): boolean {
  return new RegExp(`(^|\\s)${option}(\\s|$)`, 'm').test(helpOf(process.execPath, [join(distDir, `${script}.mjs`), '--help']));
}

export function installAccepts(root: string, option: string): boolean {
  return new RegExp(`(^|\\s)${option}(\\s|$)`, 'm').test(helpOf('bash', [join(root, 'install.sh'), '--help']));
}
