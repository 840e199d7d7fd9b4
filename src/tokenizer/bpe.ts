import type { BpeModel } from "./bpe-model.ts";

// Byte-level BPE with OpenAI's semantics: repeatedly take the lowest-ranked adjacent pair
// and merge every occurrence of it, left to right. Because every merge only uses tokens
// made by earlier merges (checked in buildBpeModel), ranks are consumed in increasing order
// and a heap of (rank, position) visits exactly the merges OpenAI's loop performs, in
// O(n log n) instead of O(n^2).
//
// It can also BPE just the first bytes of a word too long to process whole (or a word whose
// end is not known yet) and prove which leading tokens the rest of the word cannot change;
// see Certifier below.

// heap key = rank * POSITION_BITS + position, exact in a double for ranks below 2^21
const POSITION_BITS = 2 ** 32;
export const MAX_MERGES = 2 ** 21;

export interface PieceBytes {
  bytes: Uint8Array; // UTF-8 bytes of the piece that are known
  complete: boolean; // true when `bytes` is the whole piece (it ends with "</w>")
}

// Working arrays, grown on demand and reused, so short words allocate nothing.
let capacity = 0;
let symbols = new Int32Array(0);
let nextOf = new Int32Array(0);
let prevOf = new Int32Array(0);
let heap = new Float64Array(0);

function ensureCapacity(n: number): void {
  if (n <= capacity) return;
  capacity = Math.max(n, capacity * 2, 64);
  symbols = new Int32Array(capacity);
  nextOf = new Int32Array(capacity);
  prevOf = new Int32Array(capacity);
  // one live heap entry per pair plus at most one stale entry per merge
  heap = new Float64Array(capacity * 2 + 2);
}

// Tokens of a whole piece.
export function bpeComplete(model: BpeModel, bytes: Uint8Array): number[] {
  const n = bytes.length;
  if (n === 1) return [model.byteEndIds[bytes[0]!]!];
  ensureCapacity(n);
  for (let i = 0; i < n; i++) symbols[i] = model.byteIds[bytes[i]!]!;
  symbols[n - 1] = model.byteEndIds[bytes[n - 1]!]!;
  runMerges(model, n, null);
  return collect(n, n);
}

// The first tokens of a piece from its first `window` bytes, keeping only those proven to be
// the piece's own first tokens whatever bytes follow. `piece.bytes` past the window are used
// as lookahead for that proof; unknown bytes beyond them count as "anything".
export function bpePrefix(model: BpeModel, piece: PieceBytes, window: number): number[] {
  const n = Math.min(window, piece.bytes.length);
  if (n === 0) return [];
  if (piece.complete && n === piece.bytes.length) return bpeComplete(model, piece.bytes);
  ensureCapacity(n);
  const { bytes } = piece;
  for (let i = 0; i < n; i++) symbols[i] = model.byteIds[bytes[i]!]!;
  const proof = new Certifier(model, piece, n);
  runMerges(model, n, proof);
  proof.finish();
  return collect(n, proof.certainEnd);
}

function collect(n: number, end: number): number[] {
  const ids: number[] = [];
  for (let i = 0; i < n && i < end; i = nextOf[i]! < 0 ? n : nextOf[i]!) ids.push(symbols[i]!);
  return ids;
}

function runMerges(model: BpeModel, n: number, proof: Certifier | null): void {
  const { pairRanks, stride, mergedIds } = model;
  let size = 0;
  const push = (key: number) => {
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= key) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = key;
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap[--size]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && heap[child + 1]! < heap[child]!) child++;
      if (heap[child]! >= last) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  };
  const rankAt = (left: number): number => {
    const right = nextOf[left]!;
    if (right < 0) return -1;
    const rank = pairRanks.get(symbols[left]! * stride + symbols[right]!);
    return rank === undefined ? -1 : rank;
  };

  for (let i = 0; i < n; i++) {
    nextOf[i] = i + 1 < n ? i + 1 : -1;
    prevOf[i] = i - 1;
  }
  for (let i = 0; i + 1 < n; i++) {
    const rank = rankAt(i);
    if (rank >= 0) push(rank * POSITION_BITS + i);
  }
  while (size > 0) {
    const key = pop();
    const rank = Math.floor(key / POSITION_BITS);
    const left = key - rank * POSITION_BITS;
    // skip stale entries: the left token was absorbed, or the pair changed since the push
    if (prevOf[left] === -2 || rankAt(left) !== rank) continue;
    const right = nextOf[left]!;
    if (proof) proof.beforeMerge(rank);
    symbols[left] = mergedIds[rank]!;
    const after = nextOf[right]!;
    nextOf[left] = after;
    if (after >= 0) prevOf[after] = left;
    prevOf[right] = -2; // absorbed
    if (proof) proof.afterMerge(left, right, rank);
    const before = prevOf[left]!;
    if (before >= 0) {
      const r = rankAt(before);
      if (r >= 0) push(r * POSITION_BITS + before);
    }
    const r = rankAt(left);
    if (r >= 0) push(r * POSITION_BITS + left);
  }
}

// Proves which leading tokens of a window are final.
//
// Only the last "certain" token (the tail) can be disturbed by what follows the window, and
// only through a merge with whatever token comes after it: a merge (tail, y) where y is a
// token spelled by the bytes right after the tail. If no such merge can happen before the
// tail's own left merges, the tail behaves exactly as in the window; if one can, the tail is
// given up (it and everything after it are uncertain) and its left neighbour is examined.
// Merges happen in increasing rank, so "can happen" means a rank not yet passed. A token
// given up can still only grow to the right, so the y its left neighbour may meet is at
// least as long as it was (`minRight`); that keeps repetitive words ("ababab...") provable.
class Certifier {
  certainEnd: number; // positions < certainEnd hold certain tokens
  private tail: number; // position of the last certain token
  private tailRisk = Infinity; // lowest rank at which the tail could merge to its right
  private lastRank = -1;
  private minRight = 1; // shortest token (in bytes) that can follow the tail

  constructor(
    private readonly model: BpeModel,
    private readonly piece: PieceBytes,
    n: number,
  ) {
    this.certainEnd = n;
    this.tail = n - 1;
    this.tailRisk = this.risk(this.tail, 0);
  }

  beforeMerge(rank: number): void {
    // A risk equal to `rank` is not yet a threat: merges of one rank go left to right, so the
    // tail may still merge into its left neighbour first; if it does not, the next rank (or
    // finish) gives it up.
    while (this.tail >= 0 && this.tailRisk < rank) this.giveUpTail();
    this.lastRank = rank;
  }

  afterMerge(left: number, right: number, rank: number): void {
    // the tail merged into its left neighbour: that new token is the tail now
    if (right === this.tail) {
      this.tail = left;
      this.tailRisk = this.risk(left, rank + 1);
    }
  }

  finish(): void {
    while (this.tail >= 0 && this.tailRisk !== Infinity) this.giveUpTail();
  }

  private giveUpTail(): void {
    this.minRight = this.certainEnd - this.tail;
    this.certainEnd = this.tail;
    this.tail = prevOf[this.tail]!;
    // its right neighbour matched the window up to the last rank merged
    if (this.tail >= 0) this.tailRisk = this.risk(this.tail, this.lastRank + 1);
  }

  // Lowest rank >= since of a merge (token at `pos`, y) where y can start at certainEnd.
  private risk(pos: number, since: number): number {
    const { encoder, byteChars, pairRanks, stride, maxTokenBytes } = this.model;
    const { bytes, complete } = this.piece;
    const left = symbols[pos]! * stride;
    const end = this.certainEnd;
    let best = Infinity;
    let spelled = "";
    for (let length = 1; length <= maxTokenBytes; length++) {
      const at = end + length - 1;
      if (at >= bytes.length) {
        // bytes past what we know could spell any token: assume the worst
        if (!complete) return since;
        break;
      }
      spelled += byteChars[bytes[at]!]!;
      if (length < this.minRight) continue;
      // the piece's last token always carries the end-of-word mark
      const id = encoder.get(complete && at === bytes.length - 1 ? spelled + "</w>" : spelled);
      if (id === undefined) continue;
      const rank = pairRanks.get(left + id);
      if (rank !== undefined && rank >= since && rank < best) best = rank;
    }
    return best;
  }
}
