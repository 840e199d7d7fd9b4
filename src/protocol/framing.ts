// Turns stdin into batches of rows that never cross a ClickHouse block.
//
// With send_chunk_header=1 (executable_pool) every block starts with a line "N"
// and the pool waits for exactly N answers before it reuses the process, so a
// batch must end where the block ends. Without it (executable) the block is
// everything up to EOF.

import { LineSplitter } from './lines.ts';

export interface FramingOptions {
  chunkHeader: boolean;
  /** Most rows in one batch. */
  batchSize: number;
  /** A batch also ends once its rows hold this many bytes, so huge rows cannot pile up. */
  maxBatchBytes: number;
}

export interface Batch {
  rows: Buffer[];
  /** Index of rows[0] within its block, for messages that name a row. */
  firstRow: number;
  /** 1-based count of blocks seen so far. */
  block: number;
  /** True when this batch completes its block (the answer must then be flushed). */
  endsBlock: boolean;
}

export class FramingError extends Error {}

export async function* readBatches(input: AsyncIterable<Buffer | string>, options: FramingOptions): AsyncGenerator<Batch> {
  const splitter = new LineSplitter();
  const framer = new BlockFramer(options);
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (const line of splitter.push(bytes)) yield* framer.line(line);
  }
  const rest = splitter.rest();
  if (rest !== undefined) yield* framer.line(rest);
  yield* framer.end();
}

class BlockFramer {
  private readonly chunkHeader: boolean;
  private readonly batchSize: number;
  private readonly maxBatchBytes: number;
  private batchBytes = 0;
  private remaining = 0;
  private inBlock = false;
  private block = 0;
  private rowInBlock = 0;
  private batch: Buffer[] = [];
  private batchStart = 0;

  constructor(options: FramingOptions) {
    this.chunkHeader = options.chunkHeader;
    this.batchSize = options.batchSize;
    this.maxBatchBytes = options.maxBatchBytes;
  }

  *line(line: Buffer): Generator<Batch> {
    if (this.chunkHeader && !this.inBlock) {
      this.remaining = parseHeader(line);
      this.startBlock();
      if (this.remaining === 0) {
        this.inBlock = false;
        yield this.take(true);
      }
      return;
    }
    if (!this.inBlock) this.startBlock();
    this.batch.push(line);
    this.batchBytes += line.length;
    this.rowInBlock++;
    if (this.chunkHeader && --this.remaining === 0) {
      this.inBlock = false;
      yield this.take(true);
    } else if (this.batch.length >= this.batchSize || this.batchBytes >= this.maxBatchBytes) {
      yield this.take(false);
    }
  }

  *end(): Generator<Batch> {
    if (this.chunkHeader && this.inBlock) {
      throw new FramingError(`stdin closed in the middle of block ${this.block}: ${this.remaining} of its rows never arrived`);
    }
    // executable mode: EOF ends the one block (which may be empty).
    if (!this.chunkHeader && (this.inBlock || this.batch.length > 0)) yield this.take(true);
  }

  private startBlock(): void {
    this.inBlock = true;
    this.block++;
    this.rowInBlock = 0;
    this.batchStart = 0;
  }

  private take(endsBlock: boolean): Batch {
    const batch: Batch = { rows: this.batch, firstRow: this.batchStart, block: this.block, endsBlock };
    this.batch = [];
    this.batchBytes = 0;
    this.batchStart = this.rowInBlock;
    return batch;
  }
}

function parseHeader(line: Buffer): number {
  const text = line.toString('latin1');
  if (!/^\d{1,10}$/.test(text)) {
    throw new FramingError(
      `expected a chunk header (a row count on its own line, as send_chunk_header=1 sends) but received ${JSON.stringify(text.slice(0, 80))}; ` +
        'is --chunk-header in <command> while <send_chunk_header> is 0?',
    );
  }
  return Number(text);
}
