/**
 * A stage continues when enough of its items succeeded: at least `ceil(total × minRatio)`, and at
 * least one. Returns the shortfall as a message, or undefined when the stage may continue.
 */
export function shortfall(stage: string, succeeded: number, total: number, minRatio: number): string | undefined {
  const needed = Math.max(1, Math.ceil(total * minRatio));
  if (succeeded >= needed) return undefined;
  return `${stage}: only ${succeeded} of ${total} succeeded, at least ${needed} (${Math.round(minRatio * 100)}%) are needed`;
}
