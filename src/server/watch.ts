import type { Pipeline } from "../../graph/pipeline.ts";
import type { TicketsConfig } from "../config/env.ts";
import type { Sweeper } from "../service/watch/types.ts";
import type { TicketFetch } from "../tickets/trackers.ts";
import { systemClock, type Clock } from "../watch/clock.ts";
import type { WatchStore } from "../watch/store/types.ts";
import { ServerError } from "./errors.ts";

/** What a sweeper built by the server gets: the server's report pipeline of each project (built once, shared with reports and chat). */
export interface SweeperContext {
  pipelineFor(project: string): Promise<Pipeline>;
}

export interface ServerWatchOptions {
  /** Monitors, sweeps, issues and alerts; the caller opens and closes it. */
  store: WatchStore;
  /**
   * Runs the sweeps of `POST /api/monitors/:id/sweeps`, `.../estimate` and `.../backfill`: a sweeper,
   * or a function building one on the server's pipelines. Without one those routes answer 503.
   */
  sweeper?: Sweeper | ((context: SweeperContext) => Sweeper);
  /** Issue actions ("snooze until") are checked against it; default the system clock. */
  clock?: Clock;
  /** Trackers of `POST /api/issues/:id/ticket` (`config.tickets`); without one that route answers 409 naming the settings. */
  tickets?: TicketsConfig;
  /** Tracker requests (tests); default the real fetch. */
  ticketFetch?: TicketFetch;
}

/**
 * The server's side of watching: the store, the sweeper, and the sweeps this server has under way
 * (one per monitor at a time, so two requests never run the same monitor's sweep twice over).
 */
export class ServerWatch {
  readonly store: WatchStore;
  readonly clock: Clock;
  readonly tickets: { config?: TicketsConfig; fetch?: TicketFetch };
  private readonly sweeperInstance: Sweeper | undefined;
  private readonly running = new Map<string, { controller: AbortController; done: Promise<unknown> }>();
  private closed = false;

  constructor(options: ServerWatchOptions, context: SweeperContext) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.tickets = { ...(options.tickets ? { config: options.tickets } : {}), ...(options.ticketFetch ? { fetch: options.ticketFetch } : {}) };
    this.sweeperInstance = typeof options.sweeper === "function" ? options.sweeper(context) : options.sweeper;
  }

  /** The sweeper, or a 503 saying this server runs no sweeps. */
  sweeper(): Sweeper {
    if (!this.sweeperInstance) {
      throw new ServerError("sweeps_unavailable", "this server runs no sweeps (it was started without a sweeper): run them with `session-summaries monitors run-once` or `watch`", 503);
    }
    return this.sweeperInstance;
  }

  /**
   * Runs a sweep's work for a monitor unless one of this server is under way (409). A shutdown
   * aborts it; the sweeper keeps what finished and the next sweep resumes it.
   */
  async exclusive<T>(monitorId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.closed) throw new ServerError("shutting_down", "the server is shutting down", 503);
    if (this.running.has(monitorId)) throw new ServerError("sweep_running", `a sweep of monitor ${JSON.stringify(monitorId)} is under way on this server: wait for it to finish`, 409);
    const controller = new AbortController();
    const done = work(controller.signal);
    this.running.set(monitorId, { controller, done });
    try {
      return await done;
    } finally {
      this.running.delete(monitorId);
    }
  }

  isSweeping(monitorId: string): boolean {
    return this.running.has(monitorId);
  }

  /** Aborts the sweeps under way and waits for them to stop; the store belongs to the caller. */
  async close(): Promise<void> {
    this.closed = true;
    const under = [...this.running.values()];
    for (const sweep of under) sweep.controller.abort(new ServerError("shutting_down", "the server is shutting down", 503));
    await Promise.allSettled(under.map((sweep) => sweep.done));
  }
}
