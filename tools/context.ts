import { getCurrentTaskInput } from "@langchain/langgraph";
import type { ReportDigest } from "../src/domain/report-digest.ts";
import { summaryCacheLabels } from "../src/store/cache-labels.ts";
import type { PipelineRuntime } from "../src/runtime/runtime.ts";
import { SessionSummariesError } from "../src/domain/errors.ts";
import { StoreError } from "../src/store/errors.ts";
import { WatchStoreError } from "../src/watch/store/errors.ts";
import type { Report } from "../src/domain/report.ts";
import type { SessionSummary } from "../src/domain/summary.ts";
import { readReport } from "../src/store/reports.ts";
import type { Logger } from "../src/log/logger.ts";
import type { WatchStore } from "../src/watch/store/types.ts";
import type { TicketsConfig } from "../src/config/env.ts";
import type { TicketFetch } from "../src/tickets/trackers.ts";

/** What the chat tools read and run, all scoped to one project. */
export interface ChatToolContext {
  project: string;
  /** The project's report runtime: its source, blob store and summary cache. */
  runtime: PipelineRuntime;
  /** The id of a report `summarize_sessions` asks for. */
  newReportId: () => string;
  /** Details of unexpected tool failures (the model sees a generic text). */
  logger: Logger;
  /**
   * Where a person opens a report: the served page's URL, or the report.html written for the
   * terminal chat. Answers that make or read a report name it; without one they name the report id only.
   */
  reportLocation?: (report: Report) => Promise<string | undefined>;
  /** The project's monitors, tracked issues and question answers; the watch tools are offered only with one. */
  watch?: WatchStore;
  /** Trackers `create_ticket` sends issues to (`config.tickets`); without them the tool says how to set one up. */
  tickets?: { config?: TicketsConfig; fetch?: TicketFetch };
  /** The current time, for relative dates ("since Monday") and snoozes; default the system clock (tests fix it). */
  now?: () => Date;
}

/** The context's current time (see `ChatToolContext.now`). */
export function nowOf(context: ChatToolContext): Date {
  return context.now?.() ?? new Date();
}

/** ` Report page: <where>` for a tool answer about the report, or nothing when it has no location. */
export async function reportPageLine(context: ChatToolContext, report: Report): Promise<string> {
  try {
    const where = await context.reportLocation?.(report);
    return where ? `\nReport page: ${where}` : "";
  } catch (error) {
    // The report itself is finished: a page that cannot be written must not turn the answer into a failure.
    context.logger.warn({ err: error, project: context.project, report: report.id }, "report page could not be written");
    return "\nThe report page could not be written; the report itself is finished.";
  }
}

/** What the tools read of the chat graph's state (`graph/chat/state.ts`), which they do not import: the graph sits above them. */
export interface ChatStateView {
  report?: ReportDigest;
  report_ids?: string[];
}

/** The chat state the tools node was called with; empty outside a graph (a tool invoked alone). */
export function currentChatState(): ChatStateView {
  try {
    return getCurrentTaskInput<ChatStateView>() ?? {};
  } catch {
    return {};
  }
}

/** The report a drill-down tool means: the given id, else the thread's latest. A status text when there is none. */
export async function resolveReport(context: ChatToolContext, reportId: string | undefined): Promise<Report | string> {
  const id = reportId ?? currentChatState().report?.report_id;
  if (!id) return "There is no report in this conversation yet: summarize some sessions first (summarize_sessions).";
  const report = await readReport(context.runtime.blobs, context.project, id);
  return report ?? `There is no finished report ${JSON.stringify(id)} in this project.`;
}

/**
 * A drill-down tool's answer from the report it means (see resolveReport): no report, or a failure,
 * becomes status text for the model instead of an error.
 */
export async function answerFromReport(context: ChatToolContext, tool: string, reportId: string | undefined, answer: (report: Report) => Promise<string>): Promise<string> {
  try {
    const report = await resolveReport(context, reportId);
    return typeof report === "string" ? report : await answer(report);
  } catch (error) {
    return `Could not read the report: ${failureText(context, tool, error)}`;
  }
}

/** A session's stored summary for a report: the checked one first (validation ran), then the unchecked one. */
export async function readSummary(runtime: PipelineRuntime, sessionId: string, focusArea: string | undefined, learnedSiteHash?: string): Promise<SessionSummary | undefined> {
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
  // Storage errors name files and hosts: for the log, not for the chat.
  if (error instanceof WatchStoreError || error instanceof StoreError) {
    context.logger.error({ err: error, project: context.project, tool }, "chat tool could not reach its store");
    return `the ${error instanceof WatchStoreError ? "watch store" : "store"} could not be used (${error.code}; the details are in the log)`;
  }
  if (error instanceof SessionSummariesError) return error.message;
  context.logger.error({ err: error, project: context.project, tool }, "chat tool failed");
  return "an unexpected error (the details are in the log)";
}

/** Untrusted text (page titles, URLs, summaries) cut to one line for a tool result. */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
