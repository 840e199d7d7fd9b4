// Shared main() of the scripts: options, signals, model load, serve, exit.

import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { printRows } from './protocol/arrays.ts';
import { formatWorkers, type FormatArrays } from './protocol/format-workers.ts';
import { OptionError, batchSizeOn, parseOptions, usage, type CliOptions, type ScriptSpec } from './options.ts';
import { serve } from './serve.ts';
import type { Encode, Encoder } from './encoders/types.ts';

export interface Script extends ScriptSpec {
  /** Loads what the options ask for; the result answers batches of rows. */
  createEncoder: (options: CliOptions, log: (line: string) => void) => Promise<Encoder>;
  /** Rows handed to the encoder at once (it may split them into model batches of --batch-size). */
  rowsPerCall: (batchSize: number) => number;
}

// However long the rows, one call never holds more than this much input (two calls
// are in flight at a time).
const MAX_CALL_BYTES = 8 * 1024 * 1024;

export async function main(script: Script, argv: string[]): Promise<void> {
  // stdout carries result rows only: one stray line from a library (transformers.js
  // and onnxruntime do log) would become the next row's answer in a pool.
  console.log = console.info = console.debug = console.warn = console.error;
  const log = (line: string) => process.stderr.write(line + '\n');
  let failed = false;
  const fail = (message: string, code = 1) => {
    // The first failure is the reason; what breaks after it only echoes it.
    if (failed) return;
    failed = true;
    // stderr is a pipe too: exit only once the reason has been handed over,
    // so ClickHouse can show it (stderr_reaction log_last).
    process.stderr.write(`${script.name}: ${message}\n`, () => process.exit(code));
  };

  let options: CliOptions | null;
  try {
    options = parseOptions(argv, script);
  } catch (err) {
    if (err instanceof OptionError) return fail(`${err.message}\n${usage(script)}`, 2);
    throw err;
  }
  if (options === null) {
    process.stdout.write(usage(script));
    return;
  }

  // ClickHouse closing our stdout means it gave up on the query: nothing to report.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? process.exit(0) : fail(err.message)));
  process.on('SIGTERM', () => process.exit(0));

  // Start loading before the first row arrives; a load error ends the process
  // at once so the pool reports it instead of waiting for a timeout.
  const loading = script.createEncoder(options, (line) => log(`${script.name}: ${line}`));
  loading.catch((err: Error) => fail(`cannot load the model: ${err.message}`));
  const encode: Encode = async (values, ready) => (await loading).encode(values, ready);

  const nullAnswer = options.image.check ? '' : '[]';
  // A GPU answers rows faster than one thread prints them (H100: 5800 captions/s,
  // printing 0.06 ms a row), and needs its next batch ready: more batches in flight,
  // printing on a quarter of the cores. On the CPU the model is the bottleneck: there,
  // both would only take cores from onnxruntime. Decided on where the model runs (--device
  // auto may end on the CPU), which is known once it has loaded, as is the default batch
  // size: no row can be encoded before that anyway.
  const settled = loading.then(({ device }) => device, () => 'cpu' as const);
  const onGpu = settled.then((device) => device !== 'cpu');
  const inFlight = onGpu.then((gpu) => (gpu ? 4 : 2));
  // encode_image_check answers text, nothing to print.
  const printers = onGpu.then((gpu) => (options.image.check ? 0 : options.printThreads ?? (gpu ? Math.max(2, Math.floor(availableParallelism() / 4)) : 0)));
  const rowsPerCall = settled.then((device) => script.rowsPerCall(batchSizeOn(options.batchSize, device)));
  const printer = printers.then((n) => (n > 0 ? formatWorkers(n, new URL('./format_worker.mjs', import.meta.url)) : undefined));
  const formatArrays: FormatArrays = async (vectors) => ((await printer) ?? printRows)(vectors);
  if (options.trace) {
    void Promise.all([inFlight, rowsPerCall, settled, printers]).then(([n, rows, device, p]) =>
      log(`${script.name}: trace: ${n} calls of ${rows} rows in flight, ${batchSizeOn(options.batchSize, device)} rows a model run, printing on ${p > 0 ? `${p} worker threads` : 'the main thread'}`),
    );
  }
  try {
    await serve(process.stdin as Readable & AsyncIterable<Buffer>, process.stdout, encode, {
      ...options,
      batchSize: rowsPerCall,
      maxBatchBytes: MAX_CALL_BYTES,
      inFlight,
      formatArrays,
      name: script.name,
      nullAnswer,
      log,
    });
  } catch (err) {
    return fail((err as Error).message);
  }
  // Exit explicitly (onnxruntime's threads may keep the loop alive), but only
  // after stdout drained: a bare exit loses rows still queued in the pipe.
  process.stdout.write('', () => process.exit(0));
}
