// Writes answer rows to stdout, honouring backpressure: a pool process that
// buffers everything until the block ends hangs ClickHouse's read until timeout.

import type { Writable } from 'node:stream';

export async function writeBytes(out: Writable, bytes: Buffer): Promise<void> {
  if (bytes.length === 0) return;
  if (!out.write(bytes)) await waitForDrain(out);
}

function waitForDrain(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => { cleanup(); resolve(); };
    const onError = (err: Error) => { cleanup(); reject(err); };
    const onClose = () => { cleanup(); reject(new Error('stdout closed before the answer was written')); };
    const cleanup = () => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
    };
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}

/** Resolves once everything written so far has been handed to the OS. */
export function flush(out: Writable): Promise<void> {
  return new Promise((resolve) => out.write('', () => resolve()));
}
