import type { ProgressEvent } from "../../graph/summarize/state.ts";
import type { SessionDoneEvent } from "../../graph/session/nodes/finalize.ts";
import { Progress } from "./output.ts";

const STAGE_LABELS = {
  sessions: "Watching sessions",
  extracting: "Extracting patterns",
  assigning: "Assigning examples",
} as const;

/**
 * Turns a run's streamed progress events into bars on a terminal, or into a few plain lines
 * elsewhere (CI logs, pipes): one per stage and one per 10% of sessions.
 */
export class RunProgress {
  private bar?: Progress;
  private done = 0;
  private total = 0;
  private failed = 0;
  private cached = 0;
  private lastTenth = -1;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  private get interactive(): boolean {
    return this.stream.isTTY === true;
  }

  handle(event: ProgressEvent | SessionDoneEvent): void {
    switch (event.kind) {
      case "sessions_resolved":
        this.start(STAGE_LABELS.sessions, event.total);
        break;
      case "session_done":
        if (event.status === "failed") this.failed += 1;
        if (event.cached) this.cached += 1;
        this.step(`${this.failed ? `${this.failed} failed ` : ""}${this.cached ? `${this.cached} cached` : ""}`);
        break;
      case "stage":
        if (event.stage === "extracting" || event.stage === "assigning") this.start(STAGE_LABELS[event.stage], event.total ?? 0);
        else this.finishBar(event.stage === "combining" ? "Combining patterns" : "Writing the report");
        break;
      case "chunk_done":
        if (!event.ok) this.failed += 1;
        this.step(event.ok ? "" : `chunk ${event.index + 1} failed`);
        break;
      case "report_ready":
        this.finishBar(`Report ready: ${event.patterns} patterns`);
        break;
    }
  }

  private start(label: string, total: number): void {
    this.finishBar();
    this.done = 0;
    this.total = total;
    this.failed = 0;
    this.cached = 0;
    this.lastTenth = -1;
    if (this.interactive) {
      this.bar = new Progress(label, total, this.stream);
      this.bar.update(0);
    } else {
      this.log(`${label}: 0/${total}`);
    }
  }

  private step(detail: string): void {
    this.done += 1;
    if (this.bar) {
      this.bar.update(this.done, detail);
      return;
    }
    const tenth = this.total === 0 ? 10 : Math.floor((this.done / this.total) * 10);
    if (tenth !== this.lastTenth) {
      this.lastTenth = tenth;
      this.log(`  ${this.done}/${this.total}${detail ? ` (${detail.trim()})` : ""}`);
    }
  }

  private finishBar(next?: string): void {
    this.bar?.done();
    this.bar = undefined;
    if (next) this.log(next);
  }
}
