import { MAX_MERGES } from "./bpe.ts";
import { bytesToUnicode } from "./byte-level.ts";
import type { ClipVocab } from "./vocab.ts";

// The vocabulary turned into integer tables, so BPE runs on ids instead of strings.
export interface BpeModel {
  encoder: Map<string, number>;
  // byte -> its stand-in character, and the ids of that character alone and with "</w>"
  byteChars: string[];
  byteIds: Int32Array;
  byteEndIds: Int32Array;
  // (left id, right id) -> merge rank, keyed left * stride + right
  pairRanks: Map<number, number>;
  stride: number;
  // rank -> id of the merged token
  mergedIds: Int32Array;
  // the longest token, in byte characters, "</w>" counted as one
  maxTokenBytes: number;
}

export function buildBpeModel(vocab: ClipVocab): BpeModel {
  const { encoder, merges } = vocab;
  if (merges.length >= MAX_MERGES) throw new Error(`too many BPE merges: ${merges.length}`);
  let maxId = 0;
  for (const id of encoder.values()) maxId = Math.max(maxId, id);
  const stride = maxId + 1;

  const byteChars = bytesToUnicode();
  const byteIds = new Int32Array(256);
  const byteEndIds = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    byteIds[b] = requireId(encoder, byteChars[b]!);
    byteEndIds[b] = requireId(encoder, byteChars[b]! + "</w>");
  }

  const pairRanks = new Map<number, number>();
  const mergedIds = new Int32Array(merges.length);
  const lefts = new Int32Array(merges.length);
  const rights = new Int32Array(merges.length);
  // rank of the first merge that makes each token
  const madeAt = new Map<number, number>();
  merges.forEach((merge, rank) => {
    const space = merge.indexOf(" ");
    if (space <= 0 || space === merge.length - 1 || merge.indexOf(" ", space + 1) !== -1) {
      throw new Error(`BPE merge ${rank} is not "left right": ${JSON.stringify(merge)}`);
    }
    lefts[rank] = requireId(encoder, merge.slice(0, space));
    rights[rank] = requireId(encoder, merge.slice(space + 1));
    mergedIds[rank] = requireId(encoder, merge.slice(0, space) + merge.slice(space + 1));
    if (!madeAt.has(mergedIds[rank]!)) madeAt.set(mergedIds[rank]!, rank);
  });
  // The fast BPE below, and its proof of which tokens a text prefix already fixes, rely on
  // every merge using only tokens that earlier merges make: merges then happen in rank
  // order. That is how BPE merges are learned, and CLIP's are; refuse anything else.
  for (let rank = 0; rank < merges.length; rank++) {
    for (const part of [lefts[rank]!, rights[rank]!]) {
      const made = madeAt.get(part);
      if (made !== undefined && made >= rank) {
        throw new Error(`BPE merge ${rank} uses a token that only a later merge makes`);
      }
    }
    // Python's dict(zip(merges, range(...))): a repeated pair keeps its last rank.
    pairRanks.set(lefts[rank]! * stride + rights[rank]!, rank);
  }

  let maxTokenBytes = 1;
  for (const token of encoder.keys()) {
    const length = token.endsWith("</w>") ? token.length - 3 : token.length;
    maxTokenBytes = Math.max(maxTokenBytes, length);
  }
  return { encoder, byteChars, byteIds, byteEndIds, pairRanks, stride, mergedIds, maxTokenBytes };
}

function requireId(encoder: Map<string, number>, token: string): number {
  const id = encoder.get(token);
  if (id === undefined) throw new Error(`token ${JSON.stringify(token)} is missing from the vocabulary`);
  return id;
}
