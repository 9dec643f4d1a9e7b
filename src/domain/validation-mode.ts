import { z } from "zod";

/**
 * Which flagged key actions are checked against the replay: none, the blocking exceptions, or every
 * flagged issue. The one definition of the modes: config, CLI, graphs and reports all use it.
 */
export const VALIDATION_MODES = ["off", "blocking", "all-issues"] as const;
export const ValidationModeSchema = z.enum(VALIDATION_MODES);
export type ValidationMode = z.infer<typeof ValidationModeSchema>;

/** The modes that check something: what a report's validation block records. */
export const CHECKING_VALIDATION_MODES = ["blocking", "all-issues"] as const satisfies readonly ValidationMode[];
export type CheckingValidationMode = (typeof CHECKING_VALIDATION_MODES)[number];
