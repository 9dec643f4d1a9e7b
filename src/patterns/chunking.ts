/**
 * Greedy packing of items into chunks bounded by a token budget, in input order. The budget covers
 * the prompt's fixed part (`baseTokens`) plus the items. An item too big to share a chunk gets one
 * of its own; an item bigger than `singleItemMaxTokens` cannot be sent at all and is returned apart.
 */
export interface SizedItem {
  id: string;
  tokens: number;
}

export interface ChunkPlan {
  chunks: string[][];
  /** Items larger than any prompt may be: left out, and reported by the caller. */
  tooLarge: SizedItem[];
}

export interface ChunkLimits {
  maxTokens: number;
  baseTokens: number;
  singleItemMaxTokens: number;
}

export function packByTokens(items: readonly SizedItem[], limits: ChunkLimits): ChunkPlan {
  const room = limits.maxTokens - limits.baseTokens;
  const chunks: string[][] = [];
  const tooLarge: SizedItem[] = [];
  let current: string[] = [];
  let used = 0;
  for (const item of items) {
    if (limits.baseTokens + item.tokens > limits.singleItemMaxTokens) {
      tooLarge.push(item);
      continue;
    }
    if (item.tokens > room) {
      chunks.push([item.id]);
      continue;
    }
    if (used + item.tokens > room && current.length > 0) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(item.id);
    used += item.tokens;
  }
  if (current.length > 0) chunks.push(current);
  return { chunks, tooLarge };
}
