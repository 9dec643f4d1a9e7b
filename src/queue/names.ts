import { z } from "zod";
import { keySegment } from "../store/keys.ts";
import { QueueError } from "./errors.ts";

/**
 * The queues: `sessions` (load + encode → summarize → replay checks of one session) and `render`
 * (one clip), served by workers (`worker --queues`); `sweeps` (one monitor sweep, put there by a job
 * scheduler per monitor), served by `watch` processes, which hold the watch store.
 */
export const QUEUE_NAMES = ["sessions", "render", "sweeps"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/**
 * BullMQ's key prefix (its default is `bull`). Distinct from the blob store's `session-summaries:` so
 * clearing the blob store never deletes queues, and the reverse.
 */
export const DEFAULT_QUEUE_PREFIX = "session-summaries-queue";

/** Letters, digits, `_`, `-`, `.` and `{}` (a Redis Cluster hash tag, e.g. `{ss}`); BullMQ joins keys with `:`. */
const PREFIX_PATTERN = /^[A-Za-z0-9_.{}-]+$/;

/**
 * The prefix of one deployment's queues: `session-summaries-queue`, or `session-summaries-queue-<deployment>`
 * so staging and production (or two test runs) can share one Redis.
 */
export function queuePrefix(deployment?: string): string {
  const prefix = deployment ? `${DEFAULT_QUEUE_PREFIX}-${deployment}` : DEFAULT_QUEUE_PREFIX;
  return checkQueuePrefix(prefix);
}

export function checkQueuePrefix(prefix: string): string {
  if (!PREFIX_PATTERN.test(prefix)) throw new QueueError("invalid_config", `a queue prefix may hold only letters, digits, _ - . and {}, got ${JSON.stringify(prefix)}`);
  return prefix;
}

/** A queue name given by a person (`--queues sessions,render`), checked. */
export function parseQueueName(value: string): QueueName {
  const name = value.trim();
  if (!(QUEUE_NAMES as readonly string[]).includes(name)) throw new QueueError("invalid_config", `unknown queue ${JSON.stringify(name)}: use ${QUEUE_NAMES.join(" or ")}`);
  return name as QueueName;
}

/** Ids and labels in job data: short, so nobody puts a payload in a job by mistake. */
const keyText = z.string().min(1).max(512);

/**
 * A session job: keys only. The worker loads the session from the source, writes the summary to the
 * summary cache (project, session, focus, cache label) and returns where it is; BullMQ stores no
 * events, recordings or summaries.
 */
export const SessionJobDataSchema = z
  .object({
    project: keyText,
    /** The report (or sweep) run the job belongs to. */
    runId: keyText,
    sessionId: keyText,
    focus: z.string().max(2_000).nullable(),
    /** The summary cache's analyst label (`summaryCacheLabel`): which model and checks made the summary. */
    cacheLabel: keyText,
    /** Where the session is read from, e.g. a dataset directory or a source name, when not the project's default. */
    source: keyText.optional(),
    /** What the run learned about the site (offline analyst): the blob key and content hash, part of the summary's cache key. */
    learnedSite: z.object({ key: keyText, hash: keyText }).strict().optional(),
  })
  .strict();
export type SessionJobData = z.infer<typeof SessionJobDataSchema>;

/**
 * A render job: one clip, content-addressed. The client puts the clip's input (the window's events, the
 * range and the render settings) in the blob store under `inputKey`; `clipHash` is the SHA-256 of that
 * blob, so the same clip asked for twice is one job, and the worker writes the rendered clip to
 * `resultKey`. Both keys start with the project's.
 */
export const RenderJobDataSchema = z
  .object({
    project: keyText,
    clipHash: z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 in lower-case hex"),
    inputKey: keyText,
    resultKey: keyText,
    /** For messages and logs only: the session the clip is cut from, and its range (epoch ms). */
    sessionId: keyText.optional(),
    startMs: z.number().min(0),
    endMs: z.number().min(0),
  })
  .strict()
  .refine((data) => data.endMs >= data.startMs, { message: "endMs must not be before startMs", path: ["endMs"] });
export type RenderJobData = z.infer<typeof RenderJobDataSchema>;

/** A sweep job: which monitor to sweep; the sweep itself (sessions, watermark) is decided by the sweeper from the watch store. */
export const SweepJobDataSchema = z.object({ project: keyText, monitorId: keyText }).strict();
export type SweepJobData = z.infer<typeof SweepJobDataSchema>;

/**
 * What a session job returns: where the summary is and what became of the session, never the summary.
 * `summaryKey` is a key of the summary cache (its blob store); absent for a skipped session.
 */
export interface SessionJobOutcome {
  status: "summarized" | "skipped";
  summaryKey?: string;
  /** True when the summary came from the cache: a job run twice (BullMQ is at-least-once) calls no model the second time. */
  cached: boolean;
  blocking?: boolean;
  /** Triage found no issue signal: summarized by the offline rules, no model call. */
  triaged?: boolean;
  /** Why it was skipped. */
  reason?: string;
  /** Token counts of the model calls this run made (for the report's cost); zero on a cache hit. */
  usage: { model_calls: number; input_tokens: number; output_tokens: number };
}

/** What a job returns: where its result lives (blob keys), never the result itself. */
export interface RenderJobResult {
  /** The blob key of the rendered clip (`resultKey` of the job). */
  resultKey: string;
  /** True when the clip was already there: a job run twice renders once. */
  cached: boolean;
}

/**
 * BullMQ job ids may not contain `:` (it separates Redis key parts) and may not be integers. Every
 * part goes through `keySegment` (only `[A-Za-z0-9_-]` stay, the rest is `%XX`), so `.` can join them
 * and two different sessions never share an id.
 */
export function jobId(kind: string, parts: ReadonlyArray<string | number>): string {
  return [kind, ...parts].map(keySegment).join(".");
}

/** One job per session per run: enqueued twice (a resumed run, two branches), it runs once. */
export function sessionJobId(data: Pick<SessionJobData, "project" | "runId" | "sessionId">): string {
  return jobId("session", [data.project, data.runId, data.sessionId]);
}

/** One job per clip content (events, range, settings) per project, whichever run or session asks for it. */
export function renderJobId(data: Pick<RenderJobData, "project" | "clipHash">): string {
  return jobId("render", [data.project, data.clipHash]);
}
