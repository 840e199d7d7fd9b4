// The core section, (a) to (e). Each tower's ceiling (a), its script over a pipe (b) and its
// function in chDB (c) are loaded side by side and timed in alternating rounds (a b c, a b c,
// ...), each keeping its fastest clean pass: timed one after the other, minutes apart, their
// ratios moved by 10% with the speed of a shared machine (images: 0.79-0.87x of raw over six
// runs of the same build).

import { openClickHouse, type ClickHouseResult, type OpenClickHouse } from './clickhouse.ts';
import { coldStart, type ColdResult } from './coldstart.ts';
import { keepBest, leastDisturbed, type Sample, type Timed } from './load.ts';
import { bareOnnxruntimeMemory } from './memory.ts';
import { openPipe, type PipeResult } from './pipe.ts';
import type { Memory } from './proc.ts';
import { openRawText, openRawVision, type RawResult, type RawText, type RunOn } from './raw.ts';
import type { Maybe } from './report.ts';

export interface CoreJob {
  dist: string;
  root: string;
  modelDir: string;
  threads: number;
  on: RunOn;
  tries: number;
  coldRuns: number;
  captions: string[];
  tokenIds: number[][];
  paths: string[];
  /** The photo the image cold start reads. */
  coldPhoto: string;
  textArgs: string[];
  imageArgs: string[];
  installArgs: string[];
  clickhouse: boolean;
  log: (line: string) => void;
}

export interface CoreResults {
  /** textPrepared, visionPrepared: (a'), the prepared copies the scripts load, as bare as (a). */
  raw: { text: Maybe<RawText>; vision: Maybe<RawResult>; textPrepared?: Maybe<RawResult>; visionPrepared?: Maybe<RawResult> };
  pipe: { text: Maybe<PipeResult>; image: Maybe<PipeResult> };
  clickhouse: Maybe<ClickHouseResult> | null;
  cold: { text: ColdResult; image: ColdResult };
  memoryFloor: { text: Maybe<Memory>; vision: Maybe<Memory> };
}

const message = (err: unknown) => (err as Error).message.split('\n').slice(0, 3).join(' ').slice(0, 600);

/** fn's result, or its failure logged in full and kept in short (the report's cells stay one line). */
export async function attemptOrError<T>(what: string, log: (line: string) => void, fn: () => Promise<T>): Promise<Maybe<T>> {
  try {
    return await fn();
  } catch (err) {
    log(`${what} FAILED: ${(err as Error).message}`);
    return { error: message(err) };
  }
}

// The three of a group time different things (tower passes, pipe blocks, queries).
type AnyOpened = Timed<any, unknown> & { close(): Promise<void> | void };
/** What a measurement is called in the log, and how to load it. */
type Opener = { what: string; open: () => Promise<AnyOpened> } | null;

/**
 * Opens each measurement, times them in alternating rounds (a pass of each per round, in turn,
 * as load.ts's `interleaved`), keeps each one's fastest clean pass, and closes them. One that
 * fails to open, pass or finish is reported as its error; the others go on. null: not measured.
 */
async function alternating(rounds: number, openers: Opener[], log: (line: string) => void): Promise<Array<Maybe<unknown> | null>> {
  const opened: Array<Maybe<AnyOpened> | null> = [];
  for (const o of openers) opened.push(o === null ? null : await attemptOrError(o.what, log, o.open));
  try {
    const runs: Sample[][] = opened.map(() => []);
    const failed: Array<string | null> = opened.map((o) => (o !== null && 'error' in o ? o.error : null));
    for (let r = 0; r < rounds; r++) {
      for (const [i, o] of opened.entries()) {
        if (o === null || failed[i] !== null) continue;
        try {
          runs[i]!.push(await (o as AnyOpened).pass());
        } catch (err) {
          failed[i] = message(err);
          log(`${openers[i]!.what} FAILED: ${failed[i]}`);
        }
      }
    }
    const results: Array<Maybe<unknown> | null> = [];
    for (const [i, o] of opened.entries()) {
      if (o === null) results.push(null);
      else if (failed[i] !== null) results.push({ error: failed[i]! });
      else results.push(await attemptOrError(openers[i]!.what, log, async () => (o as AnyOpened).finish(keepBest(runs[i]!))));
    }
    return results;
  } finally {
    for (const o of opened) if (o !== null && !('error' in o)) await o.close();
  }
}

export async function coreRun(job: CoreJob): Promise<CoreResults> {
  const { log, on, tries } = job;
  // The floor is a CPU process's; on a GPU the weights live in device memory.
  const skipped = { error: 'not measured on a GPU' };
  let memoryFloor: CoreResults['memoryFloor'] = { text: skipped, vision: skipped };
  if (on.device === 'cpu') {
    log('(e) memory floor: a bare onnxruntime-node process per tower');
    memoryFloor = {
      text: await attemptOrError('(e) bare text', log, async () => bareOnnxruntimeMemory(job.modelDir, 'text', job.threads)),
      vision: await attemptOrError('(e) bare vision', log, async () => bareOnnxruntimeMemory(job.modelDir, 'vision', job.threads)),
    };
  }

  let ch: Maybe<OpenClickHouse> | null = null;
  if (job.clickhouse) {
    log('(c) embedded ClickHouse: install.sh, a chDB session, the inputs in Memory tables');
    ch = await attemptOrError('(c) chDB', log, () => openClickHouse(job.root, job.modelDir, job.threads, job.captions, job.paths, job.installArgs));
  }
  try {
    const inChdb = (fn: 'encode_text' | 'encode_image'): Opener => ch === null ? null : {
      what: `(c) ${fn}`,
      open: async () => {
        if ('error' in ch!) throw new Error(ch!.error);
        const warm = ch!.warm(fn);
        if ('error' in warm) throw new Error(warm.error);
        return { ...warm, close: () => {} };
      },
    };
    const pipe = (script: 'encode_text' | 'encode_image', args: string[], values: string[], warmup: string[]): Opener => ({
      what: `(b) ${script}`,
      open: () => openPipe(job.dist, script, args, values, warmup),
    });

    log(`text: (a) raw tower, (a') its prepared copy, (b) encode_text over a pipe, (c) in chDB: ${tries} alternating rounds`);
    const [rawText, rawTextPrepared, pipeText, chText] = await alternating(tries, [
      {
        what: '(a) raw text',
        open: async () => {
          const raw = await openRawText(job.modelDir, job.tokenIds, on, job.threads);
          return {
            pass: raw.passes.sorted, close: raw.close,
            // Input order only shows what batching costs: no ratio is taken against it.
            finish: async (sorted: RawResult) => ({ sorted, inOrder: await leastDisturbed(tries, raw.passes.inOrder) }),
          };
        },
      },
      {
        what: "(a') raw text, prepared copy",
        open: async () => {
          const raw = await openRawText(job.modelDir, job.tokenIds, on, job.threads, true);
          return { pass: raw.passes.sorted, close: raw.close, finish: (kept: RawResult) => kept };
        },
      },
      pipe('encode_text', job.textArgs, job.captions, job.captions.slice(0, on.textBatch)),
      inChdb('encode_text'),
    ], log);

    log(`images: (a) raw tower, (a') its prepared copy, (b) encode_image over a pipe, (c) in chDB: ${tries} alternating rounds`);
    const rawVisionOf = (prepared: boolean): Opener => ({
      what: prepared ? "(a') raw vision, prepared copy" : '(a) raw vision',
      open: async () => {
        const raw = await openRawVision(job.modelDir, job.paths.length, on, job.threads, prepared);
        return { pass: raw.passes, close: raw.close, finish: (kept: RawResult) => kept };
      },
    });
    const [rawVision, rawVisionPrepared, pipeImage, chImage] = await alternating(tries, [
      rawVisionOf(false),
      rawVisionOf(true),
      pipe('encode_image', job.imageArgs, job.paths, job.paths.slice(0, on.imageBatch)),
      inChdb('encode_image'),
    ], log);

    log(`(d) cold starts (${job.coldRuns} each)`);
    const cold = {
      text: await coldStart(job.dist, 'encode_text', job.textArgs, 'a photo of a cat', job.coldRuns),
      image: await coldStart(job.dist, 'encode_image', job.imageArgs, job.coldPhoto, job.coldRuns),
    };
    for (const [name, c] of Object.entries(cold)) if (c.error) log(`(d) ${name} FAILED: ${c.error}`);

    const clickhouse = ch === null ? null
      : 'error' in ch ? ch
      : { text: chText, image: chImage, installArgs: ch.installArgs } as ClickHouseResult;
    return {
      raw: {
        text: rawText as Maybe<RawText>, vision: rawVision as Maybe<RawResult>,
        textPrepared: rawTextPrepared as Maybe<RawResult>, visionPrepared: rawVisionPrepared as Maybe<RawResult>,
      },
      pipe: { text: pipeText as Maybe<PipeResult>, image: pipeImage as Maybe<PipeResult> },
      clickhouse, cold, memoryFloor,
    };
  } finally {
    if (ch !== null && !('error' in ch)) ch.close();
  }
}
