import { z } from "zod";
import { DEFAULTS } from "../config/defaults.ts";
import { EncodeError } from "./errors.ts";

const EncodeOptionsSchema = z.object({
  /** Events this close (ms) to the start or end of the replay are dropped; shrunk to a quarter of a shorter session (`effectiveReplayCutoffMs`). */
  replayCutoffMs: z.number().finite().nonnegative(),
  /** Longest URL in the url table; room for scheme, host and a `[...]` marker is needed. */
  maxUrlLength: z.number().int().min(24),
  /** Longest text cell, ellipsis included. */
  maxTextLength: z.number().int().min(8),
  recurringExceptionMin: z.number().int().min(1),
  actionExceptionWindowMs: z.number().finite().nonnegative(),
  retriedExceptionMin: z.number().int().min(1),
  redactPii: z.boolean(),
});
export type EncodeOptions = z.infer<typeof EncodeOptionsSchema>;

/** `DEFAULTS.encode` overridden by `overrides`; throws `EncodeError` (`invalid_options`) on bad values. */
export function resolveEncodeOptions(overrides: Partial<EncodeOptions> = {}): EncodeOptions {
  const parsed = EncodeOptionsSchema.safeParse({ ...DEFAULTS.encode, ...overrides });
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new EncodeError("invalid_options", `invalid encode options: ${details}`);
  }
  return parsed.data;
}
