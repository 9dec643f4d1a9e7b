import { RunProgressTracker, STAGE_LABELS } from "../runtime/progress.ts";
import { isRunEvent, type PreliminaryIssuesEvent, type RunEvent, type RunProgressUpdate } from "../domain/progress.ts";
import { PreliminaryIssues, preliminaryHeading, preliminaryIssueLines } from "../report/preliminary.ts";
import { Progress } from "./output.ts";

/**
 * Shows a run's progress (counted by `RunProgressTracker`) as bars on a terminal, or as a few
 * plain lines elsewhere (CI logs, pipes): one per stage and one per 10% of the counted items; and
 * the first preliminary issues triage saw, once (the report replaces them).
 */
export class RunProgress {
  private readonly tracker = new RunProgressTracker();
  private bar?: Progress;
  private lastTenth = -1;
  private readonly preliminary = new PreliminaryIssues();
  private preliminaryShown = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  handle(event: RunEvent): void {
    if (!isRunEvent(event)) return;
    if (event.kind === "preliminary_issues") this.showPreliminary(event);
    else this.show(this.tracker.handle(event));
  }

  /** Draws an update counted elsewhere (the chat's streamed progress). */
  show(update: Pick<RunProgressUpdate, "stage" | "message" | "started" | "done" | "total" | "detail">): void {
    if (update.started) {
      this.finishBar();
      this.lastTenth = -1;
      if (update.total === undefined) {
        this.log(update.message);
      } else if (this.stream.isTTY === true) {
        this.bar = new Progress(STAGE_LABELS[update.stage], update.total, this.stream);
        this.bar.update(update.done ?? 0);
      } else {
        this.log(`${STAGE_LABELS[update.stage]}: ${update.done ?? 0}/${update.total}`);
      }
      return;
    }
    const done = update.done ?? 0;
    const total = update.total ?? 0;
    if (this.bar) {
      this.bar.update(done, update.detail);
      return;
    }
    const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
    if (tenth !== this.lastTenth) {
      this.lastTenth = tenth;
      this.log(`  ${done}/${total}${update.detail ? ` (${update.detail.trim()})` : ""}`);
    }
  }

  /** Prints the first issues triage saw as a short block, under the bar drawn so far. */
  private showPreliminary(event: PreliminaryIssuesEvent): void {
    if (this.preliminaryShown || !this.preliminary.add(event)) return;
    this.preliminaryShown = true;
    const list = this.preliminary.list();
    if (this.bar) this.stream.write("\n");
    this.log(preliminaryHeading(list));
    for (const line of preliminaryIssueLines(list)) this.log(`  - ${line}`);
    const { done, detail } = this.tracker.current;
    this.bar?.update(done ?? 0, detail);
  }

  /** Ends the current bar (the run is over, or something else is about to print). */
  finish(): void {
    this.finishBar();
  }

  private finishBar(): void {
    this.bar?.done();
    this.bar = undefined;
  }
}
