import { z } from "zod";
import { describeSelectionRequest, type SessionCriteria } from "../src/service/find-sessions.ts";

/** Ways to pick sessions, shared by find_sessions and summarize_sessions. Described for the model. */
export const SessionCriteriaFields = {
  from: z.string().optional().describe("Only sessions that started at or after this ISO date or time, e.g. 2026-11-20 or 2026-11-20T08:00:00Z"),
  to: z.string().optional().describe("Only sessions that started before this ISO date or time"),
  url_contains: z.string().optional().describe("Only sessions that visited a page whose URL contains this text, e.g. checkout or /product/"),
  event: z.string().optional().describe("Only sessions with an event of this name, e.g. $exception, $rageclick, $dead_click"),
  has_exception: z.boolean().optional().describe("true: only sessions with at least one error ($exception); false: only sessions without"),
  person: z.string().optional().describe("Only sessions of this person (distinct id, or part of it)"),
  min_duration_s: z.number().nonnegative().optional().describe("Only sessions lasting at least this many seconds"),
  limit: z.number().int().min(1).max(1000).optional().describe("At most this many sessions, newest first"),
};

export type CriteriaInput = { [K in keyof typeof SessionCriteriaFields]?: z.infer<(typeof SessionCriteriaFields)[K]> };

/** The criteria, or a status text naming the input that is wrong. */
export function toCriteria(input: CriteriaInput): SessionCriteria | string {
  for (const name of ["from", "to"] as const) {
    const value = input[name];
    if (value !== undefined && Number.isNaN(Date.parse(value))) return `Invalid ${name}: ${JSON.stringify(value)} is not an ISO date or time (e.g. 2026-11-20).`;
  }
  if (input.from && input.to && Date.parse(input.from) >= Date.parse(input.to)) return `Invalid time range: from (${input.from}) is not before to (${input.to}).`;
  return {
    ...(input.from ? { from: new Date(input.from).toISOString() } : {}),
    ...(input.to ? { to: new Date(input.to).toISOString() } : {}),
    ...(input.url_contains ? { url_contains: input.url_contains } : {}),
    ...(input.event ? { event: input.event } : {}),
    ...(input.has_exception !== undefined ? { has_exception: input.has_exception } : {}),
    ...(input.person ? { person: input.person } : {}),
    ...(input.min_duration_s !== undefined ? { min_duration_ms: Math.round(input.min_duration_s * 1000) } : {}),
    ...(input.limit !== undefined ? { limit: input.limit } : {}),
  };
}

/** e.g. `with errors, on pages containing "checkout", last 10`. */
export const describeCriteria = describeSelectionRequest;
