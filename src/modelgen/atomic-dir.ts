// Publishing a directory all at once: it is filled under a hidden temporary name next to the
// target and renamed into place, so a run killed halfway leaves at most a hidden
// ".<name>.partial-<pid>-*" folder, never a half-written model at the target path; the next
// run removes such leftovers (up to 600 MB each at ViT-B size) once their process is gone.
// (Against power loss this would also need fsync; a killed process is the case that matters.)

import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/**
 * Refuses to replace anything but a missing path, an empty directory or a directory holding
 * only `replaceable` entries, so a mistyped --out cannot wipe unrelated files.
 */
async function assertReplaceable(target: string, replaceable: ReadonlySet<string>): Promise<void> {
  let entries: string[];
  try {
    if (!(await stat(target)).isDirectory()) throw new Error(`modelgen: ${target} exists and is not a directory`);
    entries = await readdir(target);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return;
    throw err;
  }
  const foreign = entries.filter((e) => !replaceable.has(e));
  if (foreign.length > 0) {
    throw new Error(
      `modelgen: refusing to replace ${target}: it holds ${foreign.slice(0, 3).join(', ')}` +
        `${foreign.length > 3 ? ', ...' : ''}, which a generated model does not contain`,
    );
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0 only checks that the process exists
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM'; // exists, owned by someone else
  }
}

/** Removes temporary folders of earlier runs for the same target whose process has died. */
async function removeStaleTemporaries(parent: string, prefix: string): Promise<void> {
  for (const entry of await readdir(parent)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(entry.slice(prefix.length))?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && !isRunning(pid)) {
      await rm(join(parent, entry), { recursive: true, force: true });
    }
  }
}

/**
 * Creates `dir` with the content `fill` writes into the temporary folder it is given,
 * replacing a previous version of it in one rename.
 */
export async function writeDirAtomically(
  dir: string,
  replaceable: ReadonlySet<string>,
  fill: (tmpDir: string) => Promise<void>,
): Promise<void> {
  const target = resolve(dir);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  await assertReplaceable(target, replaceable);

  const prefix = `.${basename(target)}.partial-`;
  await removeStaleTemporaries(parent, prefix);
  const tmp = await mkdtemp(join(parent, `${prefix}${process.pid}-`));
  try {
    await chmod(tmp, 0o755); // mkdtemp makes it private; the published model should not be
    await fill(tmp);
    try {
      await rename(tmp, target); // works when the target is missing or an empty directory
    } catch (err) {
      if (errorCode(err) !== 'ENOTEMPTY' && errorCode(err) !== 'EEXIST') throw err;
      // Linux cannot swap two directories in one rename(2) without renameat2; move the old
      // one aside first. A kill between the two renames leaves no model, not a mixed one.
      const old = `${tmp}-old`;
      await rename(target, old);
      try {
        await rename(tmp, target); // fails only if a concurrent run published in between
      } finally {
        await rm(old, { recursive: true, force: true });
      }
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
