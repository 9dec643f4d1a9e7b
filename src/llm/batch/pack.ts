/** Packing requests into calls by size, first fit with a count limit (unlike the pattern stages' `packByTokens`, which fills chunks in order): pure, so the batcher's grouping is tested on its own. */

export interface PackLimits {
  /** Items per pack at most. */
  maxItems: number;
  /** Sum of the items' tokens per pack at most (the prompt's own tokens already taken off). */
  maxTokens: number;
  /** An item larger than this goes in a pack of its own. */
  maxItemTokens: number;
}

/**
 * First fit in arrival order: each item joins the first pack it fits in, else opens a new one. An
 * item over `maxItemTokens` (or over `maxTokens` by itself) is packed alone.
 */
export function packRequestsFirstFit<T>(items: readonly T[], tokensOf: (item: T) => number, limits: PackLimits): T[][] {
  const packs: Array<{ items: T[]; tokens: number; closed: boolean }> = [];
  for (const item of items) {
    const tokens = tokensOf(item);
    if (tokens > limits.maxItemTokens || tokens > limits.maxTokens) {
      packs.push({ items: [item], tokens, closed: true });
      continue;
    }
    const pack = packs.find((candidate) => !candidate.closed && candidate.items.length < limits.maxItems && candidate.tokens + tokens <= limits.maxTokens);
    if (pack) {
      pack.items.push(item);
      pack.tokens += tokens;
    } else packs.push({ items: [item], tokens, closed: false });
  }
  return packs.map((pack) => pack.items);
}

/**
 * Splits `total` over the weights so the parts are whole numbers that sum exactly to `total`
 * (largest remainders get the leftover units). All-zero weights split evenly.
 */
export function splitProportionally(total: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  const sum = weights.reduce((a, b) => a + b, 0);
  const shares = weights.map((weight) => (sum > 0 ? (total * weight) / sum : total / weights.length));
  const parts = shares.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const byRemainder = shares.map((share, index) => ({ index, remainder: share - Math.floor(share) })).sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of byRemainder) {
    if (left <= 0) break;
    parts[index]! += 1;
    left -= 1;
  }
  return parts;
}
