import type { SessionSelection } from "./selection.ts";

/**
 * A report the chat agent asked for (`summarize_sessions`), run by the chat graph's `make_report` node as
 * a subgraph. Checkpointed with the thread, so a turn stopped mid-report is finished by the next
 * turn under the same report id.
 */
export interface ReportRequest {
  report_id: string;
  title: string;
  focus_area?: string;
  /** Already resolved to ids when the tool ran. */
  selection: SessionSelection;
  /** The `summarize_sessions` call the finished report answers. */
  tool_call_id: string;
}
