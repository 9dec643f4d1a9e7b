import { constants as fsConstants, createReadStream, createWriteStream } from "node:fs";
import { access, mkdir, readFile, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { AnalyticsEventSchema } from "../domain/events.ts";
import { SessionMetaSchema, type SessionMeta } from "../domain/session.ts";
import { splitLines } from "../io/lines.ts";
import { CaptureError } from "./errors.ts";
import type { PreparedBatch, SessionPart, SessionUpdate } from "./convert.ts";
import { isSafeSessionId } from "./session-id.ts";
import { fileExists } from "../io/open.ts";
import { appendWhole, closeTornTail, sizeOf, writeJsonAtomic } from "../io/files.ts";
import { KeyedQueue } from "../io/keyed-queue.ts";
import { DATASET_FILES } from "./files.ts";
import { finalizeSessionDir } from "./finalize.ts";

/**
 * Appends prepared batches to a dataset directory (DESIGN §4):
 * `sessions/<id>/events.jsonl`, `sessions/<id>/recording.jsonl` and `sessions/<id>/meta.json`.
 *
 * Guarantees:
 * - a line is never written in part by us: each request's lines for one file are appended with
 *   one write of a buffer serialized up front, and all writes to one session are serialized
 *   (a queue per session), so concurrent requests never interleave bytes;
 * - if a process died in the middle of an append anyway (kill -9, full disk), the torn tail is
 *   closed with a newline before the next append, so it stays one bad line the reader skips
 *   instead of gluing itself to the next good line;
 * - meta.json is replaced atomically (temp file + rename) after every batch.
 *
 * Reopening an existing dataset continues it: a session's state is rebuilt from its files the
 * first time it is touched, and a session finalized with gzip is unpacked back to plain JSONL.
 * The same holds for a session finalized while the server runs (`finalizeIdle`): a later request
 * for it appends to the tidied files.
 */

export { DATASET_FILES };

/** A session's totals so far: every request's `SessionUpdate` merged into one (`mergeUpdate`). */
interface SessionState extends SessionUpdate {
  sessionId: string;
  dir: string;
  recordingBytes: number;
  /** Files whose last byte must be checked (and a newline added) before the next append. */
  uncheckedTails: Set<string>;
}

export interface WriterStats {
  sessions: number;
  eventLines: number;
  recordingLines: number;
  bytesWritten: number;
}

export interface DatasetWriterOptions {
  /** The clock that decides when a session has gone quiet (`finalizeIdle`). */
  now?: () => number;
}

/** What `finalizeIdle` did: sessions tidied, and those it could not tidy with why. */
export interface IdleFinalizeResult {
  finalized: string[];
  problems: string[];
}

export class DatasetWriter {
  readonly sessionsDir: string;
  private readonly states = new Map<string, SessionState>();
  /** Sessions written since they were last finalized, with when they were last written. */
  private readonly lastWriteMs = new Map<string, number>();
  private readonly sessionsWritten = new Set<string>();
  private readonly now: () => number;
  private readonly queue = new KeyedQueue();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  private tempCounter = 0;
  private readonly totals = { eventLines: 0, recordingLines: 0, bytesWritten: 0 };

  constructor(
    readonly out: string,
    options: DatasetWriterOptions = {},
  ) {
    this.sessionsDir = path.resolve(out, "sessions");
    this.now = options.now ?? Date.now;
  }

  /** Creates `<out>/sessions`; fails with a `CaptureError` when the directory cannot be written. */
  async open(): Promise<void> {
    try {
      await mkdir(this.sessionsDir, { recursive: true });
      await access(this.sessionsDir, fsConstants.W_OK);
    } catch (error) {
      throw new CaptureError("output_not_writable", `cannot write the dataset directory ${this.out}: ${(error as Error).message}`, 500, { cause: error });
    }
  }

  /** Appends every session part of a batch. Resolves when all of it is on disk. */
  write(batch: PreparedBatch): Promise<void> {
    if (this.closed) return Promise.reject(new CaptureError("shutting_down", "the capture server is shutting down", 503));
    const work = Promise.all([...batch.sessions.values()].map((part) => this.queue.run(part.sessionId, () => this.writeSession(part)))).then(() => undefined);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  /** Refuses new writes and waits for the ones under way. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  stats(): WriterStats {
    return { sessions: this.sessionsWritten.size, ...this.totals };
  }

  /**
   * Finalizes every session no request has written to for `idleMs` (events and recording lines in
   * time order, meta.json recomputed; see `finalizeSessionDir`), so that a dataset read while capture
   * goes on holds its quiet sessions as tidy as `capture` leaves them at exit. Runs in each session's
   * write queue, so it never overlaps a write; a session written again later is simply continued.
   */
  async finalizeIdle(idleMs: number): Promise<IdleFinalizeResult> {
    const result: IdleFinalizeResult = { finalized: [], problems: [] };
    const quiet = (sessionId: string) => {
      const at = this.lastWriteMs.get(sessionId);
      return at !== undefined && this.now() - at >= idleMs;
    };
    for (const sessionId of [...this.lastWriteMs.keys()].filter(quiet)) {
      if (this.closed) break;
      await this.queue.run(sessionId, async () => {
        // A write queued before this task may have woken the session up again.
        if (!quiet(sessionId)) return;
        // Forgotten first: a failure is reported once, not retried on every check.
        this.lastWriteMs.delete(sessionId);
        // The files are rewritten: the next write rebuilds the state from them.
        this.states.delete(sessionId);
        try {
          const session = await finalizeSessionDir(this.sessionDir(sessionId), sessionId);
          result.problems.push(...session.problems);
          if (session.finalized) result.finalized.push(sessionId);
        } catch (error) {
          result.problems.push(`${sessionId}: not finalized: ${(error as Error).message}`);
        }
      });
    }
    return result;
  }

  /** The folder of a session; throws for an id that is not a safe folder name. */
  sessionDir(sessionId: string): string {
    if (!isSafeSessionId(sessionId)) {
      throw new CaptureError("invalid_session_id", `session id ${JSON.stringify(sessionId)} is not a safe folder name`, 400);
    }
    const dir = path.join(this.sessionsDir, sessionId);
    // Belt and braces: the pattern already excludes separators and dot-only names.
    if (path.dirname(dir) !== this.sessionsDir) {
      throw new CaptureError("invalid_session_id", `session id ${JSON.stringify(sessionId)} leaves the dataset directory`, 400);
    }
    return dir;
  }

  private async writeSession(part: SessionPart): Promise<void> {
    this.sessionsWritten.add(part.sessionId);
    // Set before the write: a failed write is activity too, and the files may have changed.
    this.lastWriteMs.set(part.sessionId, this.now());
    try {
      const state = await this.stateFor(part.sessionId);
      if (part.eventLines.length > 0) {
        const bytes = await this.appendLines(state, DATASET_FILES.events, part.eventLines);
        this.totals.eventLines += part.eventLines.length;
        this.totals.bytesWritten += bytes;
      }
      if (part.recordingLines.length > 0) {
        const bytes = await this.appendLines(state, DATASET_FILES.recording, part.recordingLines);
        state.recordingBytes += bytes;
        this.totals.recordingLines += part.recordingLines.length;
        this.totals.bytesWritten += bytes;
      }
      mergeUpdate(state, part.update);
      await writeJsonAtomic(path.join(state.dir, DATASET_FILES.meta), metaOf(state), () => this.tempCounter++);
    } catch (error) {
      if (error instanceof CaptureError) throw error;
      throw new CaptureError("write_failed", `cannot write session ${part.sessionId}: ${(error as Error).message}`, 500, { cause: error });
    }
  }

  private async appendLines(state: SessionState, name: string, lines: string[]): Promise<number> {
    const file = path.join(state.dir, name);
    if (state.uncheckedTails.has(name)) {
      await closeTornTail(file);
      state.uncheckedTails.delete(name);
    }
    const buffer = Buffer.from(lines.join("\n") + "\n", "utf8");
    try {
      await appendWhole(file, buffer);
    } catch (error) {
      // Part of the buffer may be on disk: check the tail before the next append.
      state.uncheckedTails.add(name);
      throw error;
    }
    return buffer.length;
  }

  private async stateFor(sessionId: string): Promise<SessionState> {
    const known = this.states.get(sessionId);
    if (known) return known;
    const dir = this.sessionDir(sessionId);
    await mkdir(dir, { recursive: true });
    const state: SessionState = {
      sessionId,
      dir,
      minMs: Number.POSITIVE_INFINITY,
      maxMs: Number.NEGATIVE_INFINITY,
      events: 0,
      exceptions: 0,
      recordingBytes: 0,
      uncheckedTails: new Set([DATASET_FILES.events, DATASET_FILES.recording]),
    };
    await unpackGzipped(dir, DATASET_FILES.events);
    await unpackGzipped(dir, DATASET_FILES.recording);
    await rebuildFromEvents(state, path.join(dir, DATASET_FILES.events));
    await mergeExistingMeta(state, path.join(dir, DATASET_FILES.meta));
    state.recordingBytes = await sizeOf(path.join(dir, DATASET_FILES.recording));
    this.states.set(sessionId, state);
    return state;
  }
}

function mergeUpdate(state: SessionState, update: SessionUpdate): void {
  state.minMs = Math.min(state.minMs, update.minMs);
  state.maxMs = Math.max(state.maxMs, update.maxMs);
  state.events += update.events;
  state.exceptions += update.exceptions;
  if (update.distinctId && (!state.distinctId || update.distinctId.ms >= state.distinctId.ms)) state.distinctId = update.distinctId;
  if (update.firstPageview && (!state.firstPageview || update.firstPageview.ms < state.firstPageview.ms)) {
    state.firstPageview = update.firstPageview;
  }
}

function metaOf(state: SessionState): SessionMeta {
  const meta: SessionMeta = {
    session_id: state.sessionId,
    ...(state.distinctId ? { distinct_id: state.distinctId.value } : {}),
    start: new Date(state.minMs).toISOString(),
    end: new Date(state.maxMs).toISOString(),
    ...(state.firstPageview ? { first_url: state.firstPageview.url } : {}),
    event_count: state.events,
    exception_count: state.exceptions,
    ...(state.recordingBytes > 0 ? { recording_bytes: state.recordingBytes } : {}),
  };
  return SessionMetaSchema.parse(meta);
}

/** A finalized session (`x.jsonl.gz`) is unpacked to `x.jsonl` so appends stay plain and visible. */
async function unpackGzipped(dir: string, name: string): Promise<void> {
  const gz = path.join(dir, `${name}.gz`);
  if (!(await fileExists(gz))) return;
  const plain = path.join(dir, name);
  const temp = path.join(dir, `.${name}.${process.pid}.unpack.tmp`);
  await pipeline(createReadStream(gz), createGunzip(), createWriteStream(temp));
  if (await fileExists(plain)) {
    // Both exist (an earlier run was cut short): keep the gz lines first, then the plain ones.
    await closeTornTail(temp);
    await pipeline(createReadStream(plain), createWriteStream(temp, { flags: "a" }));
  }
  await rename(temp, plain);
  await unlink(gz);
}

async function rebuildFromEvents(state: SessionState, file: string): Promise<void> {
  if ((await sizeOf(file)) === 0) return;
  for await (const line of splitLines(createReadStream(file), file)) {
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      continue; // a torn line; the reader skips it too
    }
    const parsed = AnalyticsEventSchema.safeParse(value);
    if (!parsed.success) continue;
    const event = parsed.data;
    const ms = Date.parse(event.timestamp);
    const url = event.properties.$current_url;
    mergeUpdate(state, {
      minMs: ms,
      maxMs: ms,
      events: 1,
      exceptions: event.event === "$exception" ? 1 : 0,
      ...(event.distinct_id ? { distinctId: { value: event.distinct_id, ms } } : {}),
      ...(event.event === "$pageview" && url ? { firstPageview: { url, ms } } : {}),
    });
  }
}

/** start/end of an existing meta.json also cover recording time, which the events scan cannot see. */
async function mergeExistingMeta(state: SessionState, file: string): Promise<void> {
  let meta: SessionMeta;
  try {
    const parsed = SessionMetaSchema.safeParse(JSON.parse(await readFile(file, "utf8")));
    if (!parsed.success) return;
    meta = parsed.data;
  } catch {
    return;
  }
  state.minMs = Math.min(state.minMs, Date.parse(meta.start));
  state.maxMs = Math.max(state.maxMs, Date.parse(meta.end));
  if (!state.distinctId && meta.distinct_id) state.distinctId = { value: meta.distinct_id, ms: Number.NEGATIVE_INFINITY };
  // Recorded before anything this process will see, so it stays the first.
  if (!state.firstPageview && meta.first_url) state.firstPageview = { url: meta.first_url, ms: Number.NEGATIVE_INFINITY };
}
