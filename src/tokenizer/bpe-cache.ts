// Ids of recently seen pieces. Captions repeat the same words endlessly, so this saves most
// BPE work; the size bound keeps a long-running process from growing without limit.

export interface PieceCache {
  get(piece: string): readonly number[] | undefined;
  set(piece: string, ids: readonly number[]): void;
}

export function createPieceCache(maxEntries = 20_000): PieceCache {
  const entries = new Map<string, readonly number[]>();
  return {
    get: (piece) => entries.get(piece),
    set(piece, ids) {
      if (entries.size >= maxEntries) {
        // Map iterates in insertion order: drop the oldest entry
        entries.delete(entries.keys().next().value!);
      }
      entries.set(piece, ids);
    },
  };
}
