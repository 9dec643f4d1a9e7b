import type { AnalyticsEvent } from "../domain/events.ts";
import { elementsOf, type ChainElement } from "../encode/elements-chain.ts";
import { NOISE_EVENTS } from "../encode/filters.ts";
import type { EncodedSession } from "../encode/types.ts";
import type { ClickAnswer, RecordingMetadata } from "../replay/metadata.ts";
import type { LoadingWait } from "../replay/waits.ts";
import { pageAreaOf, type PageArea } from "./areas.ts";
import { DEFAULT_SITE, type SiteModel } from "./site.ts";
import { classifyCustomEvent, exceptionFailureOf, serverErrorFailureOf, type CustomEventClass, type FailureFacts } from "./event-kinds.ts";

/**
 * The session as the rules read it: one `Moment` per analytics event (noise events left out), in
 * time order, each with its page area, the control it touched, what it means, and the `event_id`
 * to cite when the encoding kept it.
 */

export type MomentKind = "pageview" | "pageleave" | "click" | "submit" | "change" | "rageclick" | "deadclick" | "copy" | "exception" | "custom" | "identify" | "other";

/** What a click, submit or change touched. */
export interface Control {
  /** Identity for "the same control again": tag plus id, else text, else aria-label, else link target. */
  key: string;
  /** What to call it: its text, aria-label, or field id. Raw page text (quote it before use). */
  label: string;
  tag: string;
  href?: string;
  /** An `<a href>` or a submit: a click expected to navigate. */
  navigates: boolean;
  /** The `type` attribute of an input or button (`text`, `checkbox`, `submit`), when it has one. */
  inputType?: string;
}

export interface Moment {
  /** Position among all the session's events in time order: the encoding's `index`. */
  position: number;
  ms: number;
  name: string;
  kind: MomentKind;
  windowId?: string;
  url?: string;
  page: PageArea;
  control?: Control;
  /** Exceptions and custom server-error events. */
  failure?: FailureFacts;
  /** Custom events; and `conversion` on the load of a goal page (see `markGoalPages`). */
  customClass?: CustomEventClass;
  /** A custom event's own properties (no `$` ones). */
  props: Record<string, unknown>;
  /** The id to cite, when the encoding kept this event (or its exact duplicate). */
  eventId?: string;
}

export interface Timeline {
  moments: Moment[];
  /** Replay bounds (recording), else the first and last event. */
  startMs: number;
  endMs: number;
  /** Loading indicators the recording showed (none without a recording). */
  waits: LoadingWait[];
  /** Recorded clicks and how soon the page answered each (none without a recording). */
  clickAnswers: ClickAnswer[];
}

const USER_ACTION_KINDS: ReadonlySet<MomentKind> = new Set(["click", "submit", "change", "rageclick", "deadclick", "copy"]);

/** Something the user did with the page (not navigation). */
export function isUserAction(moment: Moment): boolean {
  return USER_ACTION_KINDS.has(moment.kind);
}

/** An action that can start something: a click, a submit, or a changed field. */
export function isTriggerAction(moment: Moment): boolean {
  return moment.kind === "click" || moment.kind === "submit" || moment.kind === "change";
}

export function isProgressEvent(moment: Moment): boolean {
  return moment.customClass === "conversion" || moment.customClass === "step" || moment.kind === "identify";
}

const MEANINGFUL_TAGS = new Set(["a", "button", "form", "input", "select", "textarea", "label"]);

function controlOf(elements: readonly ChainElement[], eventType: string | undefined): Control | undefined {
  const innermost = elements[0];
  if (!innermost) return undefined;
  const meaningful = elements.find((element) => MEANINGFUL_TAGS.has(element.tag)) ?? innermost;
  const nearest = (pick: (element: ChainElement) => string | undefined): string => elements.map((element) => pick(element)?.trim() ?? "").find((value) => value !== "") ?? "";
  const text = nearest((element) => element.text);
  const aria = nearest((element) => element.attributes["aria-label"]);
  const href = nearest((element) => element.href);
  const id = meaningful.id ?? innermost.id ?? meaningful.attributes.name ?? "";
  const identity = id ? `#${id}` : text || aria || href || meaningful.classes.join(".");
  // A symbol button ("+", "×") is better named by its aria-label ("Increase quantity").
  const label = (/\p{L}/u.test(text) ? text : "") || aria || text || id || meaningful.tag;
  const navigates = Boolean(href) || eventType === "submit" || meaningful.tag === "form" || meaningful.attributes.type === "submit";
  const inputType = meaningful.attributes.type?.toLowerCase();
  return { key: `${meaningful.tag}|${identity}`.toLowerCase(), label, tag: meaningful.tag, ...(href ? { href } : {}), navigates, ...(inputType ? { inputType } : {}) };
}

function kindOf(event: AnalyticsEvent): MomentKind {
  switch (event.event) {
    case "$pageview":
    case "$screen":
      return "pageview";
    case "$pageleave":
      return "pageleave";
    case "$rageclick":
      return "rageclick";
    case "$dead_click":
      return "deadclick";
    case "$copy_autocapture":
      return "copy";
    case "$exception":
      return "exception";
    case "$identify":
      return "identify";
    case "$autocapture": {
      const type = event.properties.$event_type;
      return type === "submit" ? "submit" : type === "change" ? "change" : "click";
    }
    default:
      return event.event.startsWith("$") ? "other" : "custom";
  }
}

function ownProperties(event: AnalyticsEvent): Record<string, unknown> {
  if (event.event.startsWith("$")) return {};
  return Object.fromEntries(Object.entries(event.properties).filter(([key]) => !key.startsWith("$") && key !== "token" && key !== "distinct_id"));
}

/** Events that never say what the user did or met; `$identify` is kept as a sign-in step. */
function isNoise(event: AnalyticsEvent): boolean {
  return NOISE_EVENTS.has(event.event) && event.event !== "$identify";
}

/** A twin is an exact duplicate the encoding collapsed: same name, same tenth of a second, same control or failure. */
function sameRow(a: Moment, b: Moment): boolean {
  return a.name === b.name && Math.round(a.ms / 100) === Math.round(b.ms / 100) && a.windowId === b.windowId && a.control?.key === b.control?.key && a.failure?.key === b.failure?.key;
}

const TWIN_SEARCH_SPAN = 6;

/** Default of `abandonment.choiceChangeWithinMs`. */
const CHOICE_CHANGE_WITHIN_MS = 300;

const NOT_TYPED = new Set(["checkbox", "radio", "range", "color", "file", "hidden", "submit", "button", "reset", "image", "search"]);

/**
 * A field the user typed into (text, email, a textarea), not a choice, and not a search or filter
 * box. posthog-js often leaves an input's `type` out of the element chain, so a change that comes
 * right after a click on the same control (`choiceChangeWithinMs`) is read as a choice too: a
 * radio or checkbox changes on the click, a typed field only when it loses focus.
 */
export function isTypedField(moment: Moment, previous?: Moment, choiceChangeWithinMs = CHOICE_CHANGE_WITHIN_MS): boolean {
  const control = moment.control;
  if (moment.kind !== "change" || !control) return false;
  if (control.tag !== "input" && control.tag !== "textarea") return false;
  if (control.inputType !== undefined && NOT_TYPED.has(control.inputType)) return false;
  if (previous?.kind === "click" && previous.control?.key === control.key && moment.ms - previous.ms <= choiceChangeWithinMs) return false;
  return !/search|query|filter|(^|[^a-z])q($|[^a-z])/.test(control.key);
}

/**
 * A page of no known role where the user typed into form fields is a task: a form they worked
 * on (a settings form, an editor, a checkout without the word). Its moments take the `task` role.
 */
function promoteTypedPages(moments: Moment[], minTypedFields: number, choiceChangeWithinMs: number): void {
  const typed = new Map<string, Set<string>>();
  let lastClick: Moment | undefined;
  for (const moment of moments) {
    const previousClick = lastClick;
    if (moment.kind === "click") lastClick = moment;
    if (moment.page.phase !== "other" || !isTypedField(moment, previousClick, choiceChangeWithinMs)) continue;
    typed.set(moment.page.area, (typed.get(moment.page.area) ?? new Set()).add(moment.control!.key));
  }
  const tasks = new Set([...typed].filter(([, fields]) => fields.size >= Math.max(1, minTypedFields)).map(([area]) => area));
  for (const moment of moments) if (tasks.has(moment.page.area)) moment.page = { ...moment.page, phase: "task" };
}

/**
 * Reaching a goal page is a goal: always for a page the product map marks as one; for a page that
 * only reads like one (`/done`, `/thanks`, `/confirmation`), only in a session whose product sends
 * no goal event of its own (its events, when it has them, say better what was reached); so too for
 * a page learned across sessions to be where goals leave users (`learn.ts`).
 */
function markGoalPages(moments: Moment[], waits: readonly LoadingWait[], site: SiteModel): void {
  const hasGoalEvents = moments.some((moment) => moment.kind === "custom" && moment.customClass === "conversion");
  for (const moment of moments) {
    if (moment.kind !== "pageview" || (moment.page.phase !== "confirmation" && !moment.page.learnedGoal)) continue;
    if (!moment.page.goal && hasGoalEvents) continue;
    // A goal page still loading when the user left was never reached.
    const neverLoaded = waits.some((wait) => !wait.resolved && wait.url !== undefined && pageAreaOf(wait.url, site).path === moment.page.path && wait.endMs >= moment.ms);
    if (!neverLoaded) moment.customClass = "conversion";
  }
}

export interface TimelineOptions {
  site?: SiteModel;
  /** `abandonment.minTypedFieldsForTask`. */
  minTypedFieldsForTask?: number;
  /** `abandonment.choiceChangeWithinMs`. */
  choiceChangeWithinMs?: number;
}

export function buildTimeline(input: { encoded: EncodedSession; events: readonly AnalyticsEvent[]; recording?: RecordingMetadata }, options: TimelineOptions = {}): Timeline {
  const site = options.site ?? DEFAULT_SITE;
  // The same stable time sort as the encoding, so positions equal the encoding's `index`.
  const ordered = input.events.map((event) => ({ event, ms: Date.parse(event.timestamp) })).sort((a, b) => a.ms - b.ms);

  const idByPosition = new Map<number, { id: string; uuid: string }>();
  const idByUuid = new Map<string, string>();
  for (const [id, ref] of input.encoded.idMap) {
    idByPosition.set(ref.index, { id, uuid: ref.uuid });
    if (!idByUuid.has(ref.uuid)) idByUuid.set(ref.uuid, id);
  }

  const moments: Moment[] = [];
  ordered.forEach(({ event, ms }, position) => {
    if (isNoise(event) || !Number.isFinite(ms)) return;
    const properties = event.properties;
    const kind = kindOf(event);
    const props = ownProperties(event);
    const moment: Moment = { position, ms, name: event.event, kind, page: pageAreaOf(properties.$current_url, site), props };
    if (properties.$window_id) moment.windowId = properties.$window_id;
    if (properties.$current_url) moment.url = properties.$current_url;
    const control = USER_ACTION_KINDS.has(kind) ? controlOf(elementsOf(properties), properties.$event_type) : undefined;
    if (control) moment.control = control;
    if (kind === "exception") moment.failure = exceptionFailureOf(properties);
    if (kind === "custom") {
      moment.customClass = classifyCustomEvent(event.event, props, site);
      if (moment.customClass === "server_error") moment.failure = serverErrorFailureOf(event.event, props);
    }
    const atPosition = idByPosition.get(position);
    const eventId = atPosition && atPosition.uuid === event.uuid ? atPosition.id : idByUuid.get(event.uuid);
    if (eventId) moment.eventId = eventId;
    moments.push(moment);
  });

  // Exact duplicates collapsed by the encoding are cited through the row that was kept.
  moments.forEach((moment, i) => {
    if (moment.eventId) return;
    for (let j = Math.max(0, i - TWIN_SEARCH_SPAN); j <= Math.min(moments.length - 1, i + TWIN_SEARCH_SPAN); j += 1) {
      const other = moments[j]!;
      if (j !== i && other.eventId && sameRow(moment, other)) {
        moment.eventId = other.eventId;
        break;
      }
    }
  });

  promoteTypedPages(moments, options.minTypedFieldsForTask ?? 1, options.choiceChangeWithinMs ?? CHOICE_CHANGE_WITHIN_MS);
  const firstMs = moments[0]?.ms ?? 0;
  const lastMs = moments.at(-1)?.ms ?? firstMs;
  const recording = input.recording && input.recording.events > 0 ? input.recording : undefined;
  markGoalPages(moments, recording?.loadingWaits ?? [], site);

  return {
    moments,
    startMs: recording ? Math.min(recording.startMs, firstMs) : firstMs,
    endMs: recording ? Math.max(recording.endMs, lastMs) : lastMs,
    waits: recording?.loadingWaits ?? [],
    clickAnswers: recording?.clickAnswers ?? [],
  };
}
