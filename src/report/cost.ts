import type { Report } from "../domain/report.ts";

/** `$0.0123`, or `$0 (offline analyst)`, with the caveats; for reports and sweeps. */
export function describeCost(cost: NonNullable<Report["cost"]>): string {
  if (cost.offline) return "$0 (offline analyst: no model calls)";
  const caveats = [
    cost.approximate ? "an upper bound: roles priced at the dearest model" : undefined,
    cost.unpriced_models.length > 0 ? `no price for ${cost.unpriced_models.join(", ")}` : undefined,
  ].filter(Boolean);
  return `$${cost.usd.toFixed(4)}${caveats.length > 0 ? ` (${caveats.join("; ")})` : ""}`;
}
