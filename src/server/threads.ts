import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { DEFAULTS } from "../config/defaults.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { blobKeys, keySegment } from "../store/keys.ts";
import { ServerError } from "./errors.ts";

const THREAD_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Chat threads of the API. A thread's public id is a UUID; its checkpoint thread id is
 * `<project>/chat/<uuid>`, so a thread can only be found through its own project's key, and after
 * a restart the project of every checkpoint is known. A thread created but not yet written to by
 * the chat graph is remembered by a small marker blob.
 *
 * One turn at a time per thread: a second message while a turn runs is refused (409), because two
 * turns would interleave on the same checkpoint. At most `maxTurnsPerProject` turns at once per
 * project (429 beyond): each may hold a model and a report run.
 */
export class ChatThreads {
  /** Turns under way by checkpoint thread id, with their project. */
  private readonly turns = new Map<string, { project: string; controller: AbortController }>();
  private readonly maxTurnsPerProject: number;

  constructor(
    private readonly blobs: BlobStore,
    options: { maxTurnsPerProject?: number } = {},
  ) {
    this.maxTurnsPerProject = options.maxTurnsPerProject ?? DEFAULTS.server.maxTurnsPerProject;
  }

  static isThreadId(id: string): boolean {
    return THREAD_ID_PATTERN.test(id);
  }

  static checkpointId(project: string, threadId: string): string {
    return `${project}/chat/${threadId}`;
  }

  async create(project: string): Promise<string> {
    const threadId = randomUUID();
    await this.blobs.putJson(markerKey(project, threadId), { created_at: new Date().toISOString() });
    return threadId;
  }

  /** Whether the thread was created in this project (by the API). */
  async wasCreated(project: string, threadId: string): Promise<boolean> {
    return ChatThreads.isThreadId(threadId) && (await this.blobs.has(markerKey(project, threadId)));
  }

  /**
   * Starts a turn on the thread; its signal aborts when the client leaves or the server closes.
   * Throws 409 while another runs on the thread, 429 when the project has its maximum under way.
   */
  beginTurn(project: string, threadId: string): AbortController {
    const id = ChatThreads.checkpointId(project, threadId);
    if (this.turns.has(id)) {
      throw new ServerError("turn_in_progress", `thread ${threadId} is still answering a message: wait for its final event, then send the next`, 409);
    }
    if (this.turnsOf(project) >= this.maxTurnsPerProject) {
      throw new ServerError(
        "too_many_turns",
        `project ${JSON.stringify(project)} already has ${this.maxTurnsPerProject} chat turn${this.maxTurnsPerProject === 1 ? "" : "s"} under way; try again when one has answered`,
        429,
      );
    }
    const controller = new AbortController();
    // A turn's report run fans out to many reads and model calls, each listening on this signal.
    setMaxListeners(256, controller.signal);
    this.turns.set(id, { project, controller });
    return controller;
  }

  endTurn(project: string, threadId: string, controller: AbortController): void {
    const id = ChatThreads.checkpointId(project, threadId);
    if (this.turns.get(id)?.controller === controller) this.turns.delete(id);
  }

  get turnsInProgress(): number {
    return this.turns.size;
  }

  turnsOf(project: string): number {
    let count = 0;
    for (const turn of this.turns.values()) if (turn.project === project) count += 1;
    return count;
  }

  abortAll(reason: string): void {
    for (const { controller } of this.turns.values()) controller.abort(new ServerError("shutting_down", reason, 503));
  }
}

function markerKey(project: string, threadId: string): string {
  return `${blobKeys.project(project)}/chat-threads/${keySegment(threadId)}`;
}
