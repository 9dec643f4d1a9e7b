import type { AnalyticsEvent } from "../domain/events.ts";
import { CellWriter } from "./cell-writer.ts";
import { formatRow, ROW_DELIMITER } from "./cells.ts";
import { elementContextOf } from "./element-context.ts";
import { elementsOf } from "./elements-chain.ts";
import { EncodeError } from "./errors.ts";
import { EventIdAllocator, sha256Hex } from "./event-id.ts";
import { describeException, exceptionFactsOf, type ExceptionFacts } from "./exceptions.ts";
import { fenceUntrusted, UNTRUSTED_DATA_NOTICE } from "./fence.ts";
import { countByFingerprint, DROP_REASONS, dropReasonOf, replayKeepWindow, retriedExceptionFingerprints, type DropReason } from "./filters.ts";
import { formatMetadata } from "./metadata.ts";
import { resolveEncodeOptions, type EncodeOptions } from "./options.ts";
import { describeEventColumns, formatEventTable, type EventRow, type RowContent } from "./table.ts";
import { countTokens } from "./tokens.ts";
import type { EncodedSession, EncodeInput, EventRef } from "./types.ts";
import { AliasTable } from "./urls.ts";

interface TimedEvent {
  event: AnalyticsEvent;
  timestampMs: number;
  /** Position in time order among all input events. */
  index: number;
}

function inTimeOrder(events: readonly AnalyticsEvent[]): TimedEvent[] {
  // Array.prototype.sort is stable: events with equal timestamps keep their input order.
  return events
    .map((event) => ({ event, timestampMs: Date.parse(event.timestamp) }))
    .sort((a, b) => a.timestampMs - b.timestampMs)
    .map((timed, index) => ({ ...timed, index }));
}

function replayBounds(input: EncodeInput, ordered: readonly TimedEvent[]): { startMs: number; endMs: number } {
  const startMs = input.replayStartMs ?? ordered[0]?.timestampMs ?? 0;
  const endMs = input.replayEndMs ?? ordered.at(-1)?.timestampMs ?? startMs;
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs < startMs) {
    throw new EncodeError("invalid_replay_range", `replay range is invalid: start ${startMs}, end ${endMs}`);
  }
  return { startMs, endMs };
}

function emptyDropCounts(): Record<DropReason, number> {
  return Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>;
}

function formatAliasTable(entries: ReadonlyArray<readonly [string, string]>): string {
  return entries.map((entry) => formatRow(entry)).join(ROW_DELIMITER);
}

/** Custom event properties shown per row: enough for status + path + a reason, not a property dump. */
const CUSTOM_PROPERTY_LIMIT = 4;

/**
 * Encodes a session's events as the compact, fenced, redacted table an LLM reads (see `table.ts`
 * for the columns and what is dropped), with the server-side map from short ids to real events.
 */
export function encodeSession(input: EncodeInput, overrides: Partial<EncodeOptions> = {}): EncodedSession {
  const options = resolveEncodeOptions(overrides);
  const ordered = inTimeOrder(input.events);
  const replay = replayBounds(input, ordered);
  const cells = new CellWriter(options);
  const urls = new AliasTable("url");
  const windows = new AliasTable("window");
  const ids = new EventIdAllocator(sha256Hex, input.sessionId);

  // The start URL is aliased first so it reads as url_1 even when its pageview falls in the cutoff.
  const startUrl = input.metadata?.startUrl ?? ordered.find((timed) => timed.event.properties.$current_url)?.event.properties.$current_url;
  const startUrlAlias = startUrl ? urls.aliasOf(cells.url(startUrl)) : undefined;

  const exceptionByEvent = new Map<AnalyticsEvent, ExceptionFacts>();
  for (const { event } of ordered) {
    if (event.event === "$exception") exceptionByEvent.set(event, exceptionFactsOf(event.properties));
  }
  const filterContext = {
    ...replayKeepWindow(replay, options.replayCutoffMs),
    recurringExceptionMin: options.recurringExceptionMin,
    exceptionCountByFingerprint: countByFingerprint(exceptionByEvent.values()),
    retriedExceptionFingerprints: retriedExceptionFingerprints(ordered, exceptionByEvent, options.actionExceptionWindowMs, options.retriedExceptionMin),
  };

  const dropped = emptyDropCounts();
  const rows: EventRow[] = [];
  const idMap = new Map<string, EventRef>();
  let duplicates = 0;

  for (const { event, timestampMs, index } of ordered) {
    const properties = event.properties;
    const elements = elementsOf(properties);
    const exception = exceptionByEvent.get(event);
    const reason = dropReasonOf({ event, timestampMs, elements, exception }, filterContext);
    if (reason) {
      dropped[reason] += 1;
      continue;
    }
    const context = elementContextOf(elements);
    const content: RowContent = [
      ((timestampMs - replay.startMs) / 1000).toFixed(1),
      properties.$window_id ? windows.aliasOf(cells.windowId(properties.$window_id)) : "",
      properties.$current_url ? urls.aliasOf(cells.url(properties.$current_url)) : "",
      cells.text(event.event),
      cells.text(properties.$event_type),
      cells.text(context?.element),
      cells.text(context?.text),
      cells.text(context?.ariaLabel),
      cells.href(context?.href),
      exception ? cells.text(describeException(exception)) : "",
      event.event.startsWith("$") ? "" : cells.customProperties(properties, CUSTOM_PROPERTY_LIMIT),
    ];
    const { id, duplicate } = ids.allocate(content);
    if (duplicate) {
      duplicates += 1;
      continue;
    }
    rows.push({ id, index, content });
    idMap.set(id, {
      sessionId: input.sessionId,
      uuid: event.uuid,
      index,
      timestampMs,
      event: event.event,
      windowId: properties.$window_id,
      url: properties.$current_url,
    });
  }

  const eventsTable = formatEventTable(rows);
  const urlTable = urls.entries();
  const windowTable = windows.entries();
  const metadata = input.metadata ?? {};
  const text = [
    UNTRUSTED_DATA_NOTICE,
    `Event table columns (tab-separated, first line is the header, empty cell = no value): ${describeEventColumns()}.`,
    formatMetadata({
      durationMs: metadata.durationMs ?? replay.endMs - replay.startMs,
      activeSeconds: metadata.activeSeconds,
      clicks: metadata.clicks,
      keypresses: metadata.keypresses,
      mouseActivity: metadata.mouseActivity,
      startUrlAlias,
      windows: metadata.windows ?? windowTable.length,
      loadingWaits: metadata.loadingWaits,
    }),
    `url_table:\n${fenceUntrusted("urls", formatAliasTable(urlTable))}`,
    `window_table:\n${fenceUntrusted("windows", formatAliasTable(windowTable))}`,
    `events:\n${fenceUntrusted("events", eventsTable)}`,
  ].join("\n\n");

  return {
    sessionId: input.sessionId,
    text,
    eventsTable,
    urlTable,
    windowTable,
    idMap,
    stats: {
      inputEvents: input.events.length,
      rows: rows.length,
      duplicates,
      dropped,
      redactions: cells.redactions.total,
      tokens: countTokens(text),
    },
  };
}

/** The real event behind an id the model wrote (surrounding spaces, quotes and case forgiven). */
export function resolveEventId(encoded: Pick<EncodedSession, "idMap">, id: string): EventRef | undefined {
  return encoded.idMap.get(
    id
      .trim()
      .replace(/^["'`]|["'`]$/g, "")
      .toLowerCase(),
  );
}
