import { access, readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { describeIssues, InputError } from "../domain/errors.ts";
import { AnalyticsEventSchema, type AnalyticsEvent } from "../domain/events.ts";
import type { WindowedEvent } from "../domain/recording.ts";
import { SESSION_ID_PATTERN, SessionMetaSchema, type SessionMeta } from "../domain/session.ts";
import { ReadWarnings } from "../domain/warnings.ts";
import { readJsonl } from "../io/jsonl.ts";
import { readRecording } from "../replay/reader.ts";
import { SourceError } from "./errors.ts";
import { matchesFilter } from "./filter.ts";
import type { ReadOptions, SessionFilter, SessionSource } from "./types.ts";

const EVENTS_FILES = ["events.jsonl.gz", "events.jsonl"];
const RECORDING_FILES = ["recording.jsonl.gz", "recording.jsonl", "recording.json.gz", "recording.json"];

/** Files of one session in a dataset directory, as found on disk. */
export interface SessionFiles {
  dir: string;
  meta: string;
  events?: string;
  recording?: string;
}

/**
 * The embedded default source: a dataset directory (DESIGN §4) of
 * `sessions/<id>/{meta.json, events.jsonl[.gz], recording.jsonl[.gz]}` and an optional `labels.json`.
 *
 * Nothing is cached: every listing reads the folder and each meta.json again, so a dataset that
 * grows (a capture server writing, sessions copied in) is seen as it is now, new sessions and moved
 * `end` times included. A session still being copied in (meta.json missing, empty or cut off) is
 * skipped with a warning until it is complete.
 */
export class DatasetSource implements SessionSource {
  readonly description: string;
  private readonly sessionsDir: string;

  constructor(readonly root: string) {
    this.description = `dataset ${root}`;
    this.sessionsDir = path.join(root, "sessions");
  }

  async listSessions(filter: SessionFilter = {}, options: ReadOptions = {}): Promise<SessionMeta[]> {
    const ids = filter.ids ?? (await this.allSessionIds());
    if (filter.ids) {
      const missing: string[] = [];
      for (const id of ids) if (!(await this.exists(id))) missing.push(id);
      if (missing.length > 0) {
        throw new SourceError("session_not_found", `${this.description}: unknown session id(s): ${missing.join(", ")}`);
      }
    }
    const metas: SessionMeta[] = [];
    for (const id of ids) {
      try {
        metas.push(await this.getMeta(id));
      } catch (error) {
        // A dataset that grows (a capture server, sessions copied in) can lose a folder between the
        // directory read and this one, e.g. one renamed into place: it is simply not there any more.
        if (!filter.ids && isVanished(error)) continue;
        // One broken session must not hide the others when listing; it is reported instead.
        if (!(error instanceof InputError) || filter.ids) throw error;
        options.warnings?.add({ ...error.location, code: error.code, problem: `session skipped: ${error.problem}` });
      }
    }
    let selected = metas.filter((meta) => matchesFilter(meta, filter));
    if (filter.has_exception !== undefined) {
      const kept: SessionMeta[] = [];
      for (const meta of selected) {
        try {
          if ((await this.exceptionCount(meta)) > 0 === filter.has_exception) kept.push(meta);
        } catch (error) {
          if (!(error instanceof InputError) || filter.ids) throw error;
          options.warnings?.add({ ...error.location, code: error.code, problem: `session skipped: ${error.problem}` });
        }
      }
      selected = kept;
    }
    if (!filter.ids) selected.sort((a, b) => Date.parse(b.start) - Date.parse(a.start));
    return filter.limit === undefined ? selected : selected.slice(0, filter.limit);
  }

  async getMeta(sessionId: string): Promise<SessionMeta> {
    const files = await this.sessionFiles(sessionId);
    let text: string;
    try {
      text = await readFile(files.meta, "utf8");
    } catch (error) {
      throw new InputError("missing_meta", { file: files.meta }, "meta.json is missing or unreadable", { cause: error });
    }
    if (text.trim().length === 0) throw new InputError("empty_file", { file: files.meta }, "file is empty");
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new InputError("invalid_json", { file: files.meta }, `not valid JSON (${(error as Error).message})`);
    }
    const parsed = SessionMetaSchema.safeParse(value);
    if (!parsed.success) {
      throw new InputError("invalid_meta", { file: files.meta }, `not valid session metadata: ${describeIssues(parsed.error.issues, 10)}`);
    }
    if (parsed.data.session_id !== sessionId) {
      throw new InputError("session_id_mismatch", { file: files.meta }, `session_id ${JSON.stringify(parsed.data.session_id)} does not match its folder ${JSON.stringify(sessionId)}`);
    }
    return parsed.data;
  }

  async *streamEvents(sessionId: string, options: ReadOptions = {}): AsyncGenerator<AnalyticsEvent> {
    const files = await this.sessionFiles(sessionId);
    if (!files.events) throw new InputError("missing_events", { file: files.dir }, `no ${EVENTS_FILES.join(" or ")}`);
    yield* readJsonl(files.events, AnalyticsEventSchema, { ...options, noun: "event" });
  }

  async *streamRecording(sessionId: string, options: ReadOptions = {}): AsyncGenerator<WindowedEvent> {
    const files = await this.sessionFiles(sessionId);
    if (!files.recording) {
      throw new InputError("missing_recording", { file: files.dir }, `no ${RECORDING_FILES.join(" or ")}`);
    }
    yield* readRecording(files.recording, options);
  }

  /** Paths of a session's files; throws `session_not_found` for an unknown or malformed id. */
  async sessionFiles(sessionId: string): Promise<SessionFiles> {
    if (!SESSION_ID_PATTERN.test(sessionId)) {
      // Ids become path segments: refuse anything that could leave the dataset directory.
      throw new SourceError("invalid_session_id", `invalid session id ${JSON.stringify(sessionId)}`);
    }
    if (!(await this.exists(sessionId))) {
      throw new SourceError("session_not_found", `${this.description}: no session ${sessionId}`);
    }
    const dir = path.join(this.sessionsDir, sessionId);
    return {
      dir,
      meta: path.join(dir, "meta.json"),
      events: await firstExisting(dir, EVENTS_FILES),
      recording: await firstExisting(dir, RECORDING_FILES),
    };
  }

  private async allSessionIds(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.sessionsDir, { withFileTypes: true });
    } catch (error) {
      const rootExists = await isDirectory(this.root);
      throw new SourceError(
        rootExists ? "invalid_dataset" : "dataset_not_found",
        rootExists ? `${this.root} is not a dataset: it has no sessions/ folder` : `dataset directory ${this.root} does not exist`,
        { cause: error },
      );
    }
    return entries
      .filter((e) => e.isDirectory() && SESSION_ID_PATTERN.test(e.name))
      .map((e) => e.name)
      .sort();
  }

  private async exists(sessionId: string): Promise<boolean> {
    if (!SESSION_ID_PATTERN.test(sessionId)) return false;
    if (!(await isDirectory(this.root))) {
      throw new SourceError("dataset_not_found", `dataset directory ${this.root} does not exist`);
    }
    return isDirectory(path.join(this.sessionsDir, sessionId));
  }

  private async exceptionCount(meta: SessionMeta): Promise<number> {
    if (meta.exception_count !== undefined) return meta.exception_count;
    let count = 0;
    for await (const event of this.streamEvents(meta.session_id, { warnings: new ReadWarnings() })) {
      if (event.event === "$exception") count += 1;
    }
    return count;
  }
}

async function firstExisting(dir: string, names: string[]): Promise<string | undefined> {
  for (const name of names) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate);
      return candidate;
    } catch {
      // try the next name
    }
  }
  return undefined;
}

function isVanished(error: unknown): boolean {
  return error instanceof SourceError && error.code === "session_not_found";
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
