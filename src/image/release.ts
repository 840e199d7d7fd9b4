/**
 * Gives a typed array's memory back now instead of at V8's next collection.
 *
 * A decoded photo is up to 13 MB (2400x1800 RGB) and is garbage a few milliseconds later,
 * once resized. V8 starts a young collection for memory held outside its heap only when some
 * 32 MB of it is pending, so such buffers pile up between collections and the process's RSS
 * rises and falls with the pile. ES2024's `ArrayBuffer.prototype.transfer(0)` detaches the
 * buffer and frees its memory on the spot. Node 20 has it behind `--harmony-rab-gsab-transfer`
 * (install.sh's launcher adds the flag where the Node it runs needs it); without it this does
 * nothing and the collector frees the memory as before.
 */
type Transfer = (this: ArrayBuffer, newLength: number) => ArrayBuffer;
const transfer = (ArrayBuffer.prototype as { transfer?: Transfer }).transfer;

/** Whether releaseNow frees memory in this process (false: it leaves it to the collector). */
export const canReleaseNow = typeof transfer === 'function';

/**
 * Frees `array`'s buffer. Only for an array its caller owns outright: every view of that
 * buffer reads as empty afterwards. Arrays that view part of a larger buffer (a slice of
 * Node's Buffer pool, a row inside a block) and already detached ones are left alone.
 */
export function releaseNow(array: ArrayBufferView): void {
  const buffer = array.buffer;
  if (transfer === undefined || !(buffer instanceof ArrayBuffer)) return;
  if (array.byteOffset !== 0 || array.byteLength === 0 || array.byteLength !== buffer.byteLength) return;
  transfer.call(buffer, 0);
}
