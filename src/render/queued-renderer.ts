import { createHash } from "node:crypto";
import type { eventWithTime } from "@rrweb/types";
import { z } from "zod";
import { DEFAULTS } from "../config/defaults.ts";
import { describeIssues } from "../domain/errors.ts";
import type { UnreplayableContent } from "../domain/summary.ts";
import type { QueueClient } from "../queue/client.ts";
import { QueueError } from "../queue/errors.ts";
import { QUEUE_JOB_DEFAULTS } from "../queue/jobs.ts";
import { renderJobId, type RenderJobData, type RenderJobResult } from "../queue/names.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { keySegment, validateBlobKey } from "../store/keys.ts";
import { MemoryBlobStore } from "../store/memory-blob-store.ts";
import type { RenderedClip } from "./clip-renderer.ts";
import { RenderError } from "./errors.ts";
import type { BlockedRequest } from "./replay.ts";
import type { ClipRenderer, ClipRenderRequest } from "./renderer.ts";

export const QUEUED_RENDER_DEFAULTS = {
  /**
   * The clip's input outlives a long wait in the queue (a deep backlog), and is deleted once the job is
   * settled; the TTL only cleans up after a client that died waiting.
   */
  inputTtlSeconds: QUEUE_JOB_DEFAULTS.keepCompletedSeconds,
  /**
   * A rendered clip outlives its completed job (kept `keepCompletedSeconds`): a client that finds the
   * job completed always finds its result.
   */
  resultTtlSeconds: 2 * QUEUE_JOB_DEFAULTS.keepCompletedSeconds,
} as const;

/** Bumped when the input or result layout changes: old blobs are then neither read nor reused. */
const FORMAT = 1;

/** How the worker renders: part of the clip's content address, so workers configured otherwise never serve a stale clip. */
export interface RenderSettings {
  framesPerSecond: number;
  /** Playback speed of the MP4. */
  speed: number;
}

/** What the client puts in the blob store for a render job: everything the render depends on. */
export interface RenderInput {
  format: typeof FORMAT;
  range: { startMs: number; endMs: number };
  options: { video: boolean; text: boolean } & RenderSettings;
  events: eventWithTime[];
}

const RenderInputSchema = z
  .object({
    format: z.literal(FORMAT),
    range: z.object({ startMs: z.number().min(0), endMs: z.number().min(0) }).strict(),
    options: z.object({ video: z.boolean(), text: z.boolean(), framesPerSecond: z.number().positive().max(60), speed: z.number().positive().max(100) }).strict(),
    // rrweb events: the replayer checks their contents; a type and a time are what every one has.
    events: z.array(z.object({ type: z.number().int(), timestamp: z.number() }).passthrough()).min(1),
  })
  .strict();

/** The blob keys of one clip of a project: its input and its rendered result. */
export function renderBlobKeys(project: string, clipHash: string): { input: string; result: string } {
  const base = [project, "renders", clipHash].map(keySegment).join("/");
  return { input: validateBlobKey(`${base}/input`), result: validateBlobKey(`${base}/result`) };
}

/** The input blob of a clip and its SHA-256: the same events, range and settings give the same bytes and hash. */
export function encodeRenderInput(input: RenderInput): { bytes: Buffer; clipHash: string } {
  const bytes = Buffer.from(JSON.stringify(input), "utf8");
  return { bytes, clipHash: createHash("sha256").update(bytes).digest("hex") };
}

/** The input a render worker reads back, checked: `RenderError("invalid_clip_input")` names what is wrong. */
export function decodeRenderInput(bytes: Buffer, where: string): RenderInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new RenderError("invalid_clip_input", `${where}: the clip's input is not JSON (${(error as Error).message})`, { cause: error });
  }
  const result = RenderInputSchema.safeParse(parsed);
  if (!result.success) throw new RenderError("invalid_clip_input", `${where}: the clip's input is not a window of rrweb events: ${describeIssues(result.error.issues)}`);
  return result.data as unknown as RenderInput;
}

/**
 * A rendered clip as one blob: a 4-byte big-endian header length, the header (JSON: everything but the
 * bytes), then each distinct frame and the MP4. A frame with nothing changed repeats the one before it,
 * so frames are stored once and listed by index.
 */
export function encodeRenderedClip(clip: RenderedClip): Buffer {
  const parts: Buffer[] = [];
  const indexOf = new Map<string, number>();
  const frames = clip.frames.map((frame) => {
    const digest = createHash("sha256").update(frame).digest("hex");
    let index = indexOf.get(digest);
    if (index === undefined) {
      indexOf.set(digest, (index = parts.length));
      parts.push(frame);
    }
    return index;
  });
  const header: ClipHeader = {
    format: FORMAT,
    startMs: clip.startMs,
    endMs: clip.endMs,
    frames,
    partBytes: parts.map((part) => part.length),
    frameTimes: clip.frameTimes,
    ...(clip.texts ? { texts: clip.texts } : {}),
    ...(clip.screens ? { screens: clip.screens } : {}),
    framesHash: clip.framesHash,
    ...(clip.video ? { videoBytes: clip.video.length } : {}),
    ...(clip.videoSpeed !== undefined ? { videoSpeed: clip.videoSpeed } : {}),
    blocked: clip.blocked,
    blockedAttempts: clip.blockedAttempts,
    unreplayable: clip.unreplayable,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(headerBytes.length);
  return Buffer.concat([length, headerBytes, ...parts, ...(clip.video ? [clip.video] : [])]);
}

const ClipHeaderSchema = z
  .object({
    format: z.literal(FORMAT),
    startMs: z.number(),
    endMs: z.number(),
    frames: z.array(z.number().int().min(0)),
    partBytes: z.array(z.number().int().min(0)),
    frameTimes: z.array(z.number()),
    texts: z.array(z.string()).optional(),
    screens: z.array(z.string()).optional(),
    framesHash: z.string(),
    videoBytes: z.number().int().min(0).optional(),
    videoSpeed: z.number().optional(),
    // Written by `encodeRenderedClip` from a `RenderedClip`; their shape is the renderer's.
    blocked: z.array(z.unknown()),
    blockedAttempts: z.number().int().min(0),
    unreplayable: z.array(z.unknown()),
  })
  .strict();
type ClipHeader = z.infer<typeof ClipHeaderSchema>;

/** The clip `encodeRenderedClip` stored; `RenderError("invalid_clip_result")` when the blob is not one. */
export function decodeRenderedClip(bytes: Buffer, where: string): RenderedClip {
  const bad = (why: string, cause?: unknown) => new RenderError("invalid_clip_result", `${where}: not a rendered clip: ${why}`, cause === undefined ? undefined : { cause });
  if (bytes.length < 4) throw bad(`${bytes.length} bytes`);
  const headerLength = bytes.readUInt32BE(0);
  if (4 + headerLength > bytes.length) throw bad(`its header says ${headerLength} bytes, the blob has ${bytes.length - 4} after the length`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.subarray(4, 4 + headerLength).toString("utf8"));
  } catch (error) {
    throw bad(`its header is not JSON (${(error as Error).message})`, error);
  }
  const checked = ClipHeaderSchema.safeParse(parsed);
  if (!checked.success) throw bad(describeIssues(checked.error.issues));
  const header = checked.data;
  const total = 4 + headerLength + header.partBytes.reduce((sum, n) => sum + n, 0) + (header.videoBytes ?? 0);
  if (total !== bytes.length) throw bad(`its header accounts for ${total} bytes, the blob has ${bytes.length}`);
  let offset = 4 + headerLength;
  const parts = header.partBytes.map((length) => bytes.subarray(offset, (offset += length)));
  if (header.frames.some((index) => index >= parts.length)) throw bad("a frame refers to a part that is not there");
  return {
    startMs: header.startMs,
    endMs: header.endMs,
    frames: header.frames.map((index) => parts[index]!),
    frameTimes: header.frameTimes,
    ...(header.texts ? { texts: header.texts } : {}),
    ...(header.screens ? { screens: header.screens } : {}),
    framesHash: header.framesHash,
    ...(header.videoBytes !== undefined ? { video: bytes.subarray(offset, offset + header.videoBytes) } : {}),
    ...(header.videoSpeed !== undefined ? { videoSpeed: header.videoSpeed } : {}),
    blocked: header.blocked as BlockedRequest[],
    blockedAttempts: header.blockedAttempts,
    unreplayable: header.unreplayable as UnreplayableContent[],
  };
}

export interface QueuedClipRendererOptions {
  /** A producer client on the deployment's queues (its prefix); the caller closes it. */
  client: QueueClient;
  /** The blob store the render workers share (Redis, or a directory every worker sees); the caller closes it. */
  blobs: BlobStore;
  /** Scopes the clips' blob keys and job ids. */
  project: string;
  /** How clips are rendered (`config.clip`); default `DEFAULTS.clip`. */
  settings?: Partial<RenderSettings>;
}

/**
 * Renders clips on the `render` queue: the window's events go to the blob store under a content address,
 * a job named by that address is added once (the same clip asked for twice, at once or later, is one
 * render) and awaited, and the clip is read back from the blob store. Job data and results are keys.
 */
export class QueuedClipRenderer implements ClipRenderer {
  private readonly settings: RenderSettings;

  constructor(private readonly options: QueuedClipRendererOptions) {
    // A render worker is another process: it could neither read the events nor write the clip.
    if (options.blobs instanceof MemoryBlobStore) {
      throw new RenderError(
        "invalid_config",
        "clips rendered on the render queue need a blob store the workers share: set SESSION_SUMMARIES_BLOB_STORE=redis, or filesystem on a directory every worker sees, not memory",
      );
    }
    this.settings = { framesPerSecond: options.settings?.framesPerSecond ?? DEFAULTS.clip.framesPerSecond, speed: options.settings?.speed ?? DEFAULTS.clip.speed };
  }

  async render(events: eventWithTime[], range: { startMs: number; endMs: number }, request: ClipRenderRequest = {}): Promise<RenderedClip> {
    const { client, blobs, project } = this.options;
    const clipName = describeClip(request.sessionId, range);
    const { bytes, clipHash } = encodeRenderInput({
      format: FORMAT,
      range: { startMs: range.startMs, endMs: range.endMs },
      options: { video: request.video === true, text: request.text === true, ...this.settings },
      events,
    });
    const keys = renderBlobKeys(project, clipHash);
    const data: RenderJobData = {
      project,
      clipHash,
      inputKey: keys.input,
      resultKey: keys.result,
      ...(request.sessionId ? { sessionId: request.sessionId } : {}),
      startMs: range.startMs,
      endMs: range.endMs,
    };
    await blobs.put(keys.input, bytes, { ttlSeconds: QUEUED_RENDER_DEFAULTS.inputTtlSeconds });
    let result: RenderJobResult;
    try {
      // A job that failed before (a worker without Chromium, a clip asked for again) gets another chance.
      ({ result } = await client.runJob<RenderJobData, RenderJobResult>("render", "clip", data, renderJobId(data), { retryFailed: true, ...(request.signal ? { signal: request.signal } : {}) }));
    } catch (error) {
      // Waiting was abandoned, not the job: it may still need its input (its TTL cleans up).
      if (!(error instanceof QueueError && error.code === "aborted")) await blobs.delete(keys.input).catch(() => false);
      if (error instanceof QueueError && error.code === "job_failed") {
        const attempts = error.attemptsMade === undefined ? "" : ` (${error.attemptsMade} attempt${error.attemptsMade === 1 ? "" : "s"})`;
        throw new RenderError("queued_render_failed", `${clipName} could not be rendered${attempts}: ${error.failedReason ?? error.message}`, { cause: error });
      }
      throw error;
    }
    await blobs.delete(keys.input).catch(() => false);
    const stored = await blobs.get(result.resultKey);
    if (!stored) throw new RenderError("clip_result_missing", `${clipName}: its render job completed but the rendered clip is gone from ${blobs.description} (${result.resultKey})`);
    return decodeRenderedClip(stored, `${clipName} (${result.resultKey})`);
  }

  /** The client and blob store are the caller's: nothing of its own to free. */
  async close(): Promise<void> {}
}

/** "clip of session X from <ISO> to <ISO>": how errors name a clip. */
export function describeClip(sessionId: string | undefined, range: { startMs: number; endMs: number }): string {
  const at = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));
  return `clip ${sessionId ? `of session ${sessionId} ` : ""}from ${at(range.startMs)} to ${at(range.endMs)}`;
}
