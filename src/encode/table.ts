import { formatRow, ROW_DELIMITER } from "./cells.ts";

/**
 * The event table: what the model reads about a session's events.
 *
 * One row per kept event, cells separated by a tab, in this fixed column order:
 *
 * - `event_id`: 8 hex characters, the id the model cites; resolved server-side by `resolveEventId`.
 * - `index`: position among all the session's events ordered by time, before any filtering (gaps
 *   show where events were dropped).
 * - `t`: seconds since the replay start, 1 decimal.
 * - `window`: `window_N` alias of `$window_id` (browser tab).
 * - `url`: `url_N` alias of `$current_url`.
 * - `event`: event name (`$pageview`, `$autocapture`, `$rageclick`, `order completed`, ...).
 * - `event_type`: autocapture's DOM event (`click`, `submit`, `change`).
 * - `element`: innermost meaningful tag (a, button, form, input, select, textarea, label) with its
 *   input type (`input[type=email]`), else the clicked tag.
 * - `text`: the element's own text, else its nearest ancestor's.
 * - `aria_label`: nearest `aria-label` (icon buttons have no text).
 * - `href`: nearest link target.
 * - `exception`: `Type: message` of an `$exception`.
 * - `props`: for custom (non-`$`) events only, up to `CUSTOM_PROPERTY_LIMIT` of the event's own
 *   scalar properties as `key=value; ...` (a `client_request_failure` keeps its status and path).
 *
 * Empty cells are empty. Text cells are PII-redacted, whitespace-collapsed and cut to
 * `maxTextLength` with `…`; the whole table sits in an `untrusted_data` fence.
 *
 * **Ids and duplicates.** `event_id` hashes every cell except `event_id` and `index`, time
 * included. So identical rows are true duplicates: the same thing at the same tenth of a second,
 * which is what posthog-js's double-sent `$autocapture` events look like. Hashing without time
 * would collapse a user clicking the same button again 2 s later, which is exactly the
 * repeated-attempt signal the analysis looks for. Duplicates are skipped and counted.
 *
 * **Dropped, and counted by reason** (`DropReason`, first matching reason wins):
 * - `noise_event`: flag evaluations, heatmap and web-vitals batches, identity/person/consent
 *   bookkeeping (`NOISE_EVENTS`): none is a user action or something the user met.
 * - `replay_cutoff`: events within `replayCutoffMs` of the replay start or end: a clip cannot show
 *   them, so an issue there could never be confirmed. In a session shorter than four cutoffs each
 *   cutoff shrinks to a quarter of its length, so a short session keeps its middle half.
 * - `autocapture_without_element`: an `$autocapture` with no element says nothing.
 * - `contextless_custom_event`: a custom event named by one bare word with no element detail.
 * - `exception_not_actionable`: an exception that is neither recurring, nor network/auth related,
 *   nor retried (raised right after a click, submit or change, again on the user's next attempt):
 *   background errors users never notice made the model "cry wolf" (see `exceptions.ts`).
 * Also left out of every row: all other event properties (browser, OS, screen sizes, library
 * versions, ids, `$elements_chain` classes and positions), which repeat on every event.
 *
 * **Nothing the analysis needs is lost.** These survive: navigation (`$pageview`, `$pageleave`,
 * `$screen`, and the url/window of every row), clicks and form submits/changes with element
 * context (tag, input type, text, aria-label, href), rage and dead clicks (`$rageclick`,
 * `$dead_click`), exceptions that matter (recurring, network/auth, HTTP status), network failures
 * (`Failed to fetch`, 4xx/5xx, and custom events such as `client_request_failure` with their properties), and custom
 * product events (`order completed`, `signup.done`). The session's overall counts (duration,
 * active time, clicks, keypresses) come in the metadata block.
 */

export const EVENT_COLUMNS = ["event_id", "index", "t", "window", "url", "event", "event_type", "element", "text", "aria_label", "href", "exception", "props"] as const;
export type EventColumn = (typeof EVENT_COLUMNS)[number];

/** Short meanings for the legend the model reads. */
export const EVENT_COLUMN_MEANINGS: Record<EventColumn, string> = {
  event_id: "id to cite",
  index: "position among all session events (gaps = filtered out)",
  t: "seconds since replay start",
  window: "browser tab alias",
  url: "page alias",
  event: "event name",
  event_type: "DOM event of $autocapture",
  element: "control used, with input type",
  text: "element text",
  aria_label: "element aria-label",
  href: "link target",
  exception: "exception type and message",
  props: "custom event properties",
};

/** A row without its id: the cells after `event_id` and `index`, in column order. These are hashed. */
export type RowContent = readonly [
  t: string,
  window: string,
  url: string,
  event: string,
  eventType: string,
  element: string,
  text: string,
  ariaLabel: string,
  href: string,
  exception: string,
  props: string,
];

export interface EventRow {
  id: string;
  index: number;
  content: RowContent;
}

/** Header line plus one line per row. */
export function formatEventTable(rows: readonly EventRow[]): string {
  const lines = [formatRow(EVENT_COLUMNS), ...rows.map((row) => formatRow([row.id, String(row.index), ...row.content]))];
  return lines.join(ROW_DELIMITER);
}

export function describeEventColumns(): string {
  return EVENT_COLUMNS.map((column) => `${column} = ${EVENT_COLUMN_MEANINGS[column]}`).join("; ");
}
