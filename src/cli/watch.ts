import { DEFAULTS } from "../config/defaults.ts";
import { openQueueConnection } from "../queue/connection.ts";
import { checkQueuePrefix, DEFAULT_QUEUE_PREFIX } from "../queue/names.ts";
import { runQueuedScheduler, type QueuedSchedulerEvent } from "../service/watch/queued-scheduler.ts";
import { runScheduler, type SchedulerEvent } from "../service/watch/scheduler.ts";
import { waitForStop } from "./stop-signal.ts";
import { openSweeper, withWatchStore, type WatchCommandOptions } from "./watch-context.ts";
import { formatSweepLine, plural, SweepProgressLines } from "./watch-output.ts";

export interface WatchRunOptions extends WatchCommandOptions {
  /** One round of the due monitors, then exit (cron, tests). */
  once?: boolean;
  /** Default `DEFAULTS.watch.schedulerTickMs`. */
  tickMs?: number;
  /** Sweeps at once; default `DEFAULTS.watch.sweepConcurrency`. */
  concurrency?: number;
  /** Stops the scheduler like Ctrl-C (tests). */
  signal?: AbortSignal;
  /** With a queue (`SESSION_SUMMARIES_QUEUE`): the deployment's queue prefix (default `session-summaries-queue`). */
  prefix?: string;
}

/**
 * `session-summaries watch`: the scheduler in the foreground over the terminal's project. Every
 * tick it sweeps the due monitors (a sweep a stopped process left open first), printing a line per
 * sweep and its progress on stderr. Ctrl-C stops cleanly: no new sweep starts, the running ones
 * stop and stay open for the next run to finish; a second Ctrl-C quits at once. Returns the exit
 * code: 0, or 1 when a sweep failed in a `--once` round.
 *
 * With a queue configured (and without `--once`), the sweeps are scheduled by BullMQ job schedulers on
 * the queue's Redis: any number of `watch` processes share them, one sweep per interval across all, and
 * a sweep whose process dies is resumed by another. `--once` keeps the in-process round: a queue has no
 * "round" to wait for, and a one-off run must not add or remove the shared schedules' runs.
 */
export async function runWatch(options: WatchRunOptions = {}): Promise<number> {
  return withWatchStore(options, async (context) => {
    const { io, store, project, clock } = context;
    const tickMs = options.tickMs ?? DEFAULTS.watch.schedulerTickMs;
    const concurrency = options.concurrency ?? DEFAULTS.watch.sweepConcurrency;
    const queue = options.once ? undefined : context.config.queue;
    const prefix = checkQueuePrefix(options.prefix ?? context.config.queue?.prefix ?? DEFAULT_QUEUE_PREFIX);
    // First: a missing dataset is said before anything else.
    const opened = openSweeper(context, options);
    const monitors = await store.listMonitors(project);
    const active = monitors.filter((monitor) => !monitor.paused).length;
    if (options.once && active === 0) {
      io.err(monitors.length === 0 ? "No monitors: add one with `monitors add --name <name>`." : "Every monitor is paused: nothing to sweep.");
      return 0;
    }
    // Opened before saying anything else: an unreachable Redis is the only line.
    const connection = queue ? await openQueueConnection(queue.url, { role: "worker", connectionName: `session-summaries-watch-${process.pid}` }) : undefined;
    if (options.once) {
      const inProcess = context.config.queue ? ", in this process: --once does not go through the queue" : "";
      io.err(`Sweeping the due monitors of ${plural(active, "active monitor")} once (${concurrency} at once${inProcess}).`);
    } else if (connection) {
      io.err(`Watching ${plural(active, "active monitor")} of project ${project}: ${concurrency} sweeps at once in this process. Ctrl-C stops.`);
      io.err(`Sweeps are scheduled on the queue's Redis at ${connection.maskedUrl} (prefix ${prefix}): any number of watch processes share them, one sweep per interval.`);
    } else io.err(`Watching ${plural(active, "active monitor")} of project ${project}: looking for due sweeps every ${formatMs(tickMs)}, ${concurrency} at once. Ctrl-C stops.`);

    const stop = new AbortController();
    const finished = new AbortController();
    options.signal?.addEventListener("abort", () => stop.abort(), { once: true });
    void waitForStop(finished.signal).then((why) => {
      if (finished.signal.aborted) return;
      stop.abort();
      io.err(`Stopping (${why}): Ctrl-C again quits at once.`);
    });

    const lines = new SweepProgressLines(io.err);
    const stamp = () => clock.now().toISOString().slice(11, 19);
    let failed = 0;
    const onEvent = (event: SchedulerEvent | QueuedSchedulerEvent): void => {
      switch (event.kind) {
        case "sweep_started":
          io.err(`[${stamp()}] ${event.monitor_name}: ${event.resumed ? "finishing the sweep a stopped run left open" : "sweeping"}`);
          break;
        case "progress":
          lines.show(event.progress, `[${stamp()}] ${event.monitor_name}: `);
          break;
        case "sweep_finished":
          io.out(`[${stamp()}] ${event.monitor_name}: ${formatSweepLine(event.sweep)}`);
          break;
        case "sweep_failed":
          failed += 1;
          io.err(`[${stamp()}] ${event.monitor_name}: sweep failed: ${event.message} (tried again after its interval)`);
          break;
        case "sweep_stopped":
          io.err(`[${stamp()}] ${event.monitor_name}: sweep stopped; the next run finishes it`);
          break;
        case "tick_failed":
          io.err(`[${stamp()}] ${event.message} (trying again in ${formatMs(tickMs)})`);
          break;
        case "stopping":
          if (event.running > 0) io.err(`[${stamp()}] waiting for ${plural(event.running, "sweep")} under way to stop`);
          break;
        case "sweep_skipped":
          io.err(`[${stamp()}] ${event.monitor_name}: no sweep this interval: ${event.message}`);
          break;
        case "schedules":
          if (event.added + event.updated + event.removed > 0)
            io.err(`[${stamp()}] schedules: ${event.added} added, ${event.updated} changed, ${event.removed} removed (${plural(event.monitors, "active monitor")})`);
          break;
        case "tick":
          break;
      }
    };
    try {
      if (connection) await runQueuedScheduler({ store, sweeper: opened.sweeper, clock, tickMs, concurrency, signal: stop.signal, onEvent, project, connection, prefix });
      else await runScheduler({ store, sweeper: opened.sweeper, clock, tickMs, concurrency, signal: stop.signal, onEvent, project, ...(options.once ? { once: true } : {}) });
    } finally {
      finished.abort();
      await opened.close();
      await connection?.close();
    }
    io.err(stop.signal.aborted ? "Stopped." : "Done.");
    return options.once && failed > 0 ? 1 : 0;
  });
}

function formatMs(ms: number): string {
  return ms % 60_000 === 0 ? plural(ms / 60_000, "minute") : ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
