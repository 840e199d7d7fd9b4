// The straight line from stdin to stdout: rows -> batches -> encoder -> rows.
// Knows the UDF protocol, nothing about CLIP: the encoder is a plain function.

import type { Writable } from 'node:stream';
import { readBatches, type Batch, type FramingOptions } from './protocol/framing.ts';
import type { Encode, Outcome, Ready } from './encoders/types.ts';
import { escapeField, isNullField, splitFields, unescapeField } from './protocol/tsv.ts';
import { printRows } from './protocol/arrays.ts';
import type { FormatArrays } from './protocol/format-workers.ts';
import { flush, writeBytes } from './protocol/output.ts';

/** One input value: the un-escaped bytes of the argument, or null for a NULL. */
export type Value = Buffer | null;

export interface ServeOptions extends Omit<FramingOptions, 'batchSize'> {
  /** Rows per call of the encoder; a promise when it depends on where the model turns out to run. */
  batchSize: number | Promise<number>;
  name: string;
  /** The answer to a NULL row (the argument is Nullable(String)). */
  nullAnswer: string;
  onError: 'empty' | 'fail';
  log: (line: string) => void;
  trace?: boolean;
  /**
   * Batches being encoded at once: the next ones are read and prepared while the model runs.
   * A promise when it depends on where the model turns out to run.
   */
  inFlight: number | Promise<number>;
  /** Prints the vectors (off the main thread, say); default: printRows, here. */
  formatArrays?: FormatArrays;
}

export class RowFailure extends Error {}

export async function serve(input: AsyncIterable<Buffer>, output: Writable, encode: Encode, options: ServeOptions): Promise<void> {
  // Several batches in flight: while the model runs one, the next are read, decoded and
  // preprocessed (the encoders serialize the model runs themselves). Answers are
  // written strictly in order.
  const pending: Array<{ batch: Batch; answer: Promise<Answer> }> = [];
  const writeOldest = async () => {
    const { batch, answer } = pending.shift()!;
    const { bytes, failures } = await answer;
    // Logged here, in row order: a later batch whose rows all failed finishes first.
    for (const line of failures) options.log(line);
    const started = performance.now();
    await writeBytes(output, bytes);
    if (options.trace) options.log(`${options.name}: trace: ${batch.rows.length} answers written in ${(performance.now() - started).toFixed(0)} ms`);
    if (batch.endsBlock) await flush(output);
  };
  // Both may wait for the model to settle where it runs; no row is encoded before that anyway.
  const [batchSize, inFlight] = await Promise.all([options.batchSize, options.inFlight]);
  for await (const batch of readBatches(input, { ...options, batchSize })) {
    const answer = answerBatch(batch, encode, options);
    answer.catch(() => {}); // awaited in order below; this only silences an early rejection
    pending.push({ batch, answer });
    // A pool sends the next block only after every answer of this one: finish it now.
    if (batch.endsBlock) while (pending.length > 0) await writeOldest();
    else if (pending.length >= inFlight) await writeOldest();
  }
  while (pending.length > 0) await writeOldest();
  await flush(output);
}

/** A batch's output rows, and the stderr lines of its rows that failed. */
interface Answer {
  bytes: Buffer;
  failures: string[];
}

async function answerBatch(batch: Batch, encode: Encode, options: ServeOptions): Promise<Answer> {
  const values = batch.rows.map((row, i) => parseValue(row, batch.block, batch.firstRow + i));
  const nonNull = values.filter((v): v is Buffer => v !== null);
  const print = async (vectors: Float32Array[]): Promise<Buffer[]> => (options.formatArrays ? options.formatArrays(vectors) : printRows(vectors));
  // Vectors handed over before the call ends are printed while the model runs the rest:
  // otherwise printing a call (H100: 0.25 s for 8192 captions) waits for its last run.
  const printed = new Array<Buffer | undefined>(nonNull.length);
  const early: Promise<void>[] = [];
  const ready: Ready = (rows, vectors) => {
    const done = print(vectors).then((bytes) => bytes.forEach((b, k) => (printed[rows[k]!] = b)));
    done.catch(() => {}); // awaited below
    early.push(done);
  };
  const encoded = nonNull.length > 0 ? await encode(nonNull, ready) : [];
  if (encoded.length !== nonNull.length) {
    throw new Error(`internal error: the encoder answered ${encoded.length} rows for ${nonNull.length}`);
  }
  const printStart = performance.now();
  await Promise.all(early);
  const rest = encoded.flatMap((o, j) => (o instanceof Float32Array && printed[j] === undefined ? [j] : []));
  if (rest.length > 0) (await print(rest.map((j) => encoded[j] as Float32Array))).forEach((b, k) => (printed[rest[k]!] = b));
  if (options.trace) options.log(`${options.name}: trace: ${rest.length} vectors printed after the call in ${(performance.now() - printStart).toFixed(0)} ms, the others while it ran`);
  let next = 0;
  const rows: Buffer[] = [];
  const failures: string[] = [];
  const nullRow = Buffer.from(options.nullAnswer + '\n');
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null) {
      rows.push(nullRow);
      continue;
    }
    const j = next++;
    const outcome: Outcome = encoded[j];
    if (outcome instanceof Float32Array) {
      rows.push(printed[j]!);
      continue;
    }
    if (typeof outcome === 'string') {
      rows.push(escapeField(Buffer.from(outcome)), NEWLINE);
      continue;
    }
    const where = `block ${batch.block}, row ${batch.firstRow + i + 1}`;
    if (options.onError === 'fail') throw new RowFailure(`${where}: ${outcome.error}`);
    failures.push(`${options.name}: ${where}: ${outcome.error} (answered [])`);
    rows.push(EMPTY_ARRAY);
  }
  return { bytes: Buffer.concat(rows), failures };
}

const NEWLINE = Buffer.from('\n');
const EMPTY_ARRAY = Buffer.from('[]\n');

function parseValue(row: Buffer, block: number, index: number): Value {
  const fields = splitFields(row);
  if (fields.length !== 1) {
    throw new Error(`block ${block}, row ${index + 1}: expected 1 argument but received ${fields.length}; check <argument> in the function definition`);
  }
  return isNullField(fields[0]) ? null : unescapeField(fields[0]);
}
