// install.sh as a user meets it: help, option errors, re-runs, uninstall; and
// the `npm run sql` runner on top of it.

import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { DIST, ROOT, install, tempDir } from './helpers.ts';
import { launcherEnv } from '../bench/script-process.ts';

const modelDir = inject('modelDir');
const run = promisify(execFile);

async function installSh(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('bash', [join(ROOT, 'install.sh'), ...args]);
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('install.sh', () => {
  it('documents every option in --help', async () => {
    const { code, out } = await installSh(['--help']);
    expect(code).toBe(0);
    for (const opt of ['--scripts-dir', '--config-dir', '--model-dir', '--model', '--hub-url', '--type', '--pool-size', '--threads', '--dtype', '--batch-size', '--node', '--uninstall']) {
      expect(out).toContain(opt);
    }
  });

  it('names the option, what it expected and what it received', async () => {
    const dir = tempDir('bad');
    const base = ['--scripts-dir', dir, '--config-dir', dir, '--model-dir', modelDir];
    expect((await installSh([...base, '--type', 'forking'])).out).toContain("expected executable or executable_pool for --type but received 'forking'");
    expect((await installSh([...base, '--pool-size', '0'])).out).toContain("expected a positive integer for --pool-size but received '0'");
    expect((await installSh([...base, '--frobnicate'])).out).toContain("unknown option '--frobnicate'");
    expect((await installSh(['--scripts-dir', dir, '--config-dir', dir, '--model-dir', join(dir, 'my models')])).out).toContain('without spaces');
    const missing = await installSh(['--scripts-dir', dir, '--config-dir', dir, '--model-dir', dir]);
    expect(missing.code).not.toBe(0);
    expect(missing.out).toContain(`expected ${dir}/config.json`);
  });

  it('refuses a Node.js older than 20 with a clear message', async () => {
    const dir = tempDir('oldnode');
    const fake = join(dir, 'node');
    writeFileSync(fake, '#!/bin/sh\necho 18.19.0\n');
    chmodSync(fake, 0o755);
    const { code, out } = await installSh(['--scripts-dir', dir, '--config-dir', dir, '--model-dir', modelDir, '--node', fake]);
    expect(code).not.toBe(0);
    expect(out).toContain(`Node.js >= 20 is required but ${fake} is v18.19.0`);
  });

  it('prepares the towers of the model folder, and still installs where it cannot', async () => {
    const models = tempDir('install-models');
    cpSync(modelDir, models, { recursive: true });
    rmSync(join(models, 'onnx/prepared'), { recursive: true, force: true });
    const prepared = await install(['--model-dir', models, '--threads', '1']);
    expect(prepared.output).toContain(`prepared:   ${models}/onnx/prepared`);
    expect(existsSync(join(models, 'onnx/prepared/text_model.json'))).toBe(true);
    expect(existsSync(join(models, 'onnx/prepared/vision_model.json'))).toBe(true);

    // Where no folder can be made for the copies (here a file is in the way): a warning.
    rmSync(join(models, 'onnx/prepared'), { recursive: true });
    writeFileSync(join(models, 'onnx/prepared'), '');
    const unprepared = await install(['--model-dir', models, '--threads', '1']);
    expect(unprepared.output).toMatch(/install\.sh: warning: could not prepare the towers: prepare_model: .*onnx\/prepared/);
    expect(unprepared.output).toContain('prepared:   none, the scripts load the .onnx files (more slowly)');
  });

  it('re-runs idempotently, switches the type, and uninstalls', async () => {
    const first = await install(['--model-dir', modelDir, '--type', 'executable_pool', '--pool-size', '2', '--threads', '1']);
    expect(first.output).toContain('SYSTEM RELOAD FUNCTIONS');
    expect(first.output).toContain('pool_size 2');
    // No GPU on the machines that run this suite: detected, chosen and explained.
    expect(first.output).toMatch(/device: +cpu \(no NVIDIA GPU found|device: +cpu \(.*no Vulkan loader/);
    const args = ['--scripts-dir', first.scriptsDir, '--config-dir', first.configDir, '--model-dir', modelDir];
    expect((await installSh([...args, '--type', 'executable', '--threads', '1'])).code).toBe(0);
    const xml = readFileSync(join(first.configDir, 'clickhouse_clip_function.xml'), 'utf8');
    expect(xml.match(/<type>executable<\/type>/g)).toHaveLength(4);
    expect(xml).not.toContain('--chunk-header');
    const launcher = readFileSync(join(first.scriptsDir, 'clickhouse-clip/encode_image'), 'utf8');
    // On the CPU (as here) with a smaller young generation than V8's default; encode_image on
    // Node 20 also with the flag behind ArrayBuffer.prototype.transfer (src/image/release.ts),
    // which later versions have built in.
    const transfer = Number(process.versions.node.split('.')[0]) < 21 ? ' --harmony-rab-gsab-transfer' : '';
    expect(launcher).toContain(`exec ${process.execPath} --max-semi-space-size=1${transfer} ${first.scriptsDir}/clickhouse-clip/encode_image.mjs "$@"`);
    const textLauncher = readFileSync(join(first.scriptsDir, 'clickhouse-clip/encode_text'), 'utf8');
    expect(textLauncher).toContain(`exec ${process.execPath} --max-semi-space-size=4 ${first.scriptsDir}/clickhouse-clip/encode_text.mjs "$@"`);
    // glibc's malloc fixed per script (install.sh says why); a value set by the server wins.
    for (const setting of ['MALLOC_MMAP_THRESHOLD_:-4194304', 'MALLOC_TRIM_THRESHOLD_:-4194304', 'MALLOC_ARENA_MAX:-1']) {
      expect(launcher).toContain(`export ${setting.split(':')[0]}="\${${setting}}"`);
    }
    expect(textLauncher).toContain('export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"');
    expect(textLauncher).not.toContain('MALLOC_ARENA_MAX');
    expect(launcher).toMatch(/export UV_THREADPOOL_SIZE="\$\{UV_THREADPOOL_SIZE:-\d+\}"/);
    // The bench starts the scripts with the launchers' malloc settings (bench/script-process.ts
    // copies them): the two must not drift apart.
    for (const [script, text] of [['encode_image', launcher], ['encode_text', textLauncher]] as const) {
      const exported = Object.fromEntries([...text.matchAll(/export (MALLOC_\w+)="\$\{\1:-(\d+)\}"/g)].map((m) => [m[1], m[2]]));
      const bench = Object.fromEntries(Object.entries(launcherEnv(script)).filter(([name]) => name.startsWith('MALLOC_')));
      expect(bench, script).toEqual(exported);
    }

    expect((await installSh([...args, '--uninstall'])).code).toBe(0);
    expect(existsSync(join(first.scriptsDir, 'clickhouse-clip'))).toBe(false);
    expect(existsSync(join(first.configDir, 'clickhouse_clip_function.xml'))).toBe(false);
  });
});

describe('npm run sql (the main job)', () => {
  it('installs the UDFs and answers SQL in embedded ClickHouse', async () => {
    const work = tempDir('sql');
    const { stdout } = await run(process.execPath, [join(DIST, 'tools/sql.mjs'), '--model-dir', modelDir, '--work-dir', work, '--format', 'TSV', "SELECT length(encode_text('a photo of a cat'))"]);
    expect(stdout.trim()).toBe('512');
  });
});
