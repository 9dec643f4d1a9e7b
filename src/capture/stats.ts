import type { PreparedBatch } from "./convert.ts";

/** What the capture server has done since it started; `snapshot()` is what `stats()` returns. */
export interface CaptureStatsSnapshot {
  startedAt: string;
  requests: number;
  /** Capture requests whose body was read and written. */
  batches: number;
  events: number;
  snapshots: number;
  rrwebEvents: number;
  skipped: number;
  skippedByReason: Record<string, number>;
  /** Valid events without a `$session_id`: counted, not written (a dataset is organised by session). */
  withoutSession: number;
  droppedRrwebEvents: number;
  /** Requests answered with an error, by error code. */
  rejected: number;
  rejectedByCode: Record<string, number>;
  /** Event names seen, with counts (`$pageview`, `$autocapture`, `$snapshot`, ...). */
  eventNames: Record<string, number>;
  sessionIds: string[];
}

export class CaptureStats {
  private readonly startedAt = new Date();
  private requests = 0;
  private batches = 0;
  private events = 0;
  private snapshots = 0;
  private rrwebEvents = 0;
  private skipped = 0;
  private droppedRrwebEvents = 0;
  private rejected = 0;
  private readonly skippedByReason: Record<string, number> = {};
  private readonly rejectedByCode: Record<string, number> = {};
  private readonly eventNames: Record<string, number> = {};
  private readonly sessionIds = new Set<string>();

  recordRequest(): void {
    this.requests += 1;
  }

  recordBatch(batch: PreparedBatch): void {
    this.batches += 1;
    this.events += batch.events;
    this.snapshots += batch.snapshots;
    this.rrwebEvents += batch.rrwebEvents;
    this.skipped += batch.skipped;
    this.droppedRrwebEvents += batch.droppedRrwebEvents;
    for (const [reason, count] of Object.entries(batch.skippedByReason)) add(this.skippedByReason, reason, count);
    for (const [name, count] of Object.entries(batch.acceptedByName)) add(this.eventNames, name, count);
    for (const id of batch.sessions.keys()) this.sessionIds.add(id);
  }

  recordRejection(code: string): void {
    this.rejected += 1;
    add(this.rejectedByCode, code, 1);
  }

  snapshot(): CaptureStatsSnapshot {
    return {
      startedAt: this.startedAt.toISOString(),
      requests: this.requests,
      batches: this.batches,
      events: this.events,
      snapshots: this.snapshots,
      rrwebEvents: this.rrwebEvents,
      skipped: this.skipped,
      skippedByReason: { ...this.skippedByReason },
      withoutSession: this.skippedByReason.no_session_id ?? 0,
      droppedRrwebEvents: this.droppedRrwebEvents,
      rejected: this.rejected,
      rejectedByCode: { ...this.rejectedByCode },
      eventNames: { ...this.eventNames },
      sessionIds: [...this.sessionIds],
    };
  }
}

function add(counts: Record<string, number>, key: string, by: number): void {
  counts[key] = (counts[key] ?? 0) + by;
}
