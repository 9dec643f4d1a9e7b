import { getCurrentTaskInput } from "@langchain/langgraph";
import type { ChatStateType } from "../graph/chat/state.ts";
import type { Pipeline } from "../graph/pipeline.ts";
import { summaryCacheLabels } from "../graph/runtime.ts";
import { SessionSummariesError } from "../src/domain/errors.ts";
import type { Report } from "../src/domain/report.ts";
import type { SessionSummary } from "../src/domain/summary.ts";
import type { ReportRuns } from "../src/service/report-runs.ts";

/** What the chat tools read and run, all scoped to one project. */
export interface ChatToolContext {
  project: string;
  pipeline: Pipeline;
  runs: ReportRuns;
  /** Details of unexpected tool failures (the model sees a generic text); default stderr. */
  log?: (line: string) => void;
  /**
   * Where a person opens a report: the served page's URL, or the report.html written for the
   * terminal chat. Answers that make or read a report name it; without one they name the report id only.
   */
  reportLocation?: (report: Report) => Promise<string | undefined>;
}

/** ` Report page: <where>` for a tool answer about the report, or nothing when it has no location. */
export async function reportPageLine(context: ChatToolContext, report: Report): Promise<string> {
  try {
    const where = await context.reportLocation?.(report);
    return where ? `\nReport page: ${where}` : "";
  } catch (error) {
    // The report itself is finished: a page that cannot be written must not turn the answer into a failure.
    (context.log ?? ((line: string) => process.stderr.write(`${line}\n`)))(`report page for ${report.id} could not be written: ${error instanceof Error ? error.message : String(error)}`);
    return "\nThe report page could not be written; the report itself is finished.";
  }
}

/** The chat state the tools node was called with; empty outside a graph (a tool invoked alone). */
export function currentChatState(): Partial<ChatStateType> {
  try {
    return getCurrentTaskInput<ChatStateType>() ?? {};
  } catch {
    return {};
  }
}

/** The report a drill-down tool means: the given id, else the thread's latest. A status text when there is none. */
export async function resolveReport(context: ChatToolContext, reportId: string | undefined): Promise<Report | string> {
  const id = reportId ?? currentChatState().report?.report_id;
  if (!id) return "There is no report in this conversation yet: summarize some sessions first (summarize_sessions).";
  const report = await context.runs.getReport(context.project, id);
  return report ?? `There is no finished report ${JSON.stringify(id)} in this project.`;
}

/** A session's stored summary for a report: the checked one first (validation ran), then the unchecked one. */
export async function readSummary(pipeline: Pipeline, sessionId: string, focusArea: string | undefined, learnedSiteHash?: string): Promise<SessionSummary | undefined> {
  const runtime = pipeline.runtime;
  for (const analyst of summaryCacheLabels(runtime, learnedSiteHash)) {
    const summary = await runtime.summaries.get({ project: runtime.project, sessionId, focusArea, analyst });
    if (summary) return summary;
  }
  return undefined;
}

export function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

/**
 * A tool's failure as the model (and, offline, the person) may read it: our typed errors carry a
 * message meant for people; anything else may name files, hosts or queries, so it is logged and
 * only summarized.
 */
export function failureText(context: ChatToolContext, tool: string, error: unknown): string {
  if (error instanceof SessionSummariesError) return error.message;
  const log = context.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  log(`chat tool ${tool} of project ${context.project} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return "an unexpected error (the details are in the log)";
}

/** Untrusted text (page titles, URLs, summaries) cut to one line for a tool result. */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
