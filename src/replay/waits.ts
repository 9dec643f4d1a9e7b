import { EventType, IncrementalSource, NodeType } from "@rrweb/types";
import type { eventWithTime } from "@rrweb/types";

/**
 * Loading waits: spans of time during which a recording window showed a loading indicator. Read
 * from the recorded DOM only, with generic signs any site uses:
 * - an element with `aria-busy="true"` or `role="progressbar"`;
 * - an element with a class word like `spinner`, `loader`, `loading`, `skeleton` (`spinner-wrap`,
 *   `is-loading` count; `loaded` does not);
 * - a short text node that starts like a loading message ("Loading…", "Searching…", "Please wait").
 * A wait starts when the first indicator appears and ends when the last one goes (removed, its
 * class or text changed, or the page replaced by a new full snapshot); one still showing when the
 * window's recording ends is unresolved: the user left (or the recording stopped) while it spun.
 * Indicators hidden by a `hidden` attribute or an inline `display: none` / `visibility: hidden`, on
 * them or a recorded ancestor, do not count (`aria-hidden` does not hide: spinner icons carry it).
 */

export interface LoadingWait {
  windowId: string;
  /** Epoch ms the indicator appeared. */
  startMs: number;
  /** Epoch ms it went away, or the window's last recorded event when it never did. */
  endMs: number;
  /** False when the indicator was still showing when the window's recording ended. */
  resolved: boolean;
  /** The indicator's text, when it had one ("Loading your order…"): page text, quote before use. */
  text?: string;
  /** The page the window showed when it appeared (the last Meta `href`). */
  url?: string;
}

/** Resolved waits shorter than this are not kept: every page shows a spinner for a moment. */
export const MIN_RECORDED_WAIT_MS = 1_000;

const INDICATOR_CLASS = /(?:^|[\s_-])(?:spinner|spinning|loader|loading|skeleton|throbber|busy)(?:$|[\s_-])/i;
const INDICATOR_TEXT = /^\s*(?:loading|searching|fetching|please wait|one moment|processing|updating)\b/i;
const MAX_INDICATOR_TEXT = 80;
/** Elements whose attributes or text are never an indicator on screen. */
const NON_VISUAL_TAGS = new Set(["style", "link", "script", "meta", "head", "title", "noscript", "template"]);

interface SerializedNode {
  type?: number;
  id?: number;
  tagName?: string;
  attributes?: Record<string, unknown>;
  textContent?: string;
  childNodes?: SerializedNode[];
}

interface NodeState {
  parent?: number;
  children: Set<number>;
  /** This node itself says "loading" (class, aria, role, or text). */
  indicator: boolean;
  hidden: boolean;
  /** A style, script or head element: its text and attributes are not on screen. */
  nonVisual: boolean;
  text?: string;
  /** The relevant attributes, kept to re-judge the node when one of them changes. */
  attributes?: Record<string, string>;
}

const RELEVANT_ATTRIBUTES = ["class", "aria-busy", "role", "hidden", "style"] as const;

function relevantAttributes(attributes: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (!attributes) return undefined;
  const kept: Record<string, string> = {};
  for (const name of RELEVANT_ATTRIBUTES) {
    const value = attributes[name];
    if (typeof value === "string" || typeof value === "boolean") kept[name] = String(value);
  }
  return Object.keys(kept).length > 0 ? kept : undefined;
}

function judgeElement(tag: string | undefined, attributes: Record<string, string> | undefined): { indicator: boolean; hidden: boolean } {
  if (!attributes || NON_VISUAL_TAGS.has((tag ?? "").toLowerCase())) return { indicator: false, hidden: false };
  const hidden = attributes.hidden !== undefined && attributes.hidden !== "false" ? true : /display\s*:\s*none|visibility\s*:\s*hidden/i.test(attributes.style ?? "");
  const indicator = attributes["aria-busy"] === "true" || attributes.role?.toLowerCase() === "progressbar" || INDICATOR_CLASS.test(attributes.class ?? "");
  return { indicator, hidden };
}

function judgeText(text: string | undefined): boolean {
  return text !== undefined && text.trim().length <= MAX_INDICATOR_TEXT && INDICATOR_TEXT.test(text);
}

class WindowTracker {
  private readonly nodes = new Map<number, NodeState>();
  /** Ids of the nodes that say "loading", kept apart so a mutation does not scan the whole DOM. */
  private readonly indicators = new Set<number>();
  /** Indicator node ids showing since (epoch ms). */
  private showingSince: number | undefined;
  private showingText: string | undefined;
  private showingUrl: string | undefined;
  url: string | undefined;
  lastMs = 0;

  constructor(
    readonly windowId: string,
    private readonly onWait: (wait: LoadingWait) => void,
  ) {}

  reset(node: SerializedNode | undefined, ms: number): void {
    this.nodes.clear();
    this.indicators.clear();
    if (node) this.add(node, undefined);
    this.settle(ms);
  }

  add(node: SerializedNode, parent: number | undefined): void {
    if (typeof node.id !== "number") return;
    const parentState = parent === undefined ? undefined : this.nodes.get(parent);
    const attributes = relevantAttributes(node.attributes);
    const element = node.type === NodeType.Element ? judgeElement(node.tagName, attributes) : { indicator: false, hidden: false };
    // A style or script body is not page text.
    const nonVisual = node.type === NodeType.Element ? NON_VISUAL_TAGS.has((node.tagName ?? "").toLowerCase()) : (parentState?.nonVisual ?? false);
    const text = node.type === NodeType.Text && !nonVisual ? node.textContent : undefined;
    const state: NodeState = {
      children: new Set(),
      indicator: element.indicator || judgeText(text),
      hidden: element.hidden,
      nonVisual,
      ...(parent !== undefined ? { parent } : {}),
      ...(text !== undefined ? { text } : {}),
      ...(attributes ? { attributes } : {}),
    };
    this.remove(node.id);
    this.nodes.set(node.id, state);
    this.mark(node.id, state);
    if (parentState) parentState.children.add(node.id);
    for (const child of node.childNodes ?? []) this.add(child, node.id);
  }

  remove(id: number): void {
    const state = this.nodes.get(id);
    if (!state) return;
    for (const child of [...state.children]) this.remove(child);
    if (state.parent !== undefined) this.nodes.get(state.parent)?.children.delete(id);
    this.nodes.delete(id);
    this.indicators.delete(id);
  }

  private mark(id: number, state: NodeState): void {
    if (state.indicator) this.indicators.add(id);
    else this.indicators.delete(id);
  }

  setText(id: number, value: string | null | undefined): void {
    const state = this.nodes.get(id);
    if (!state || state.nonVisual) return;
    state.text = value ?? "";
    state.indicator = judgeText(state.text);
    this.mark(id, state);
  }

  setAttributes(id: number, changed: Record<string, unknown>): void {
    const state = this.nodes.get(id);
    if (!state) return;
    const update = relevantAttributes(Object.fromEntries(Object.entries(changed).map(([name, value]) => [name, value === null ? undefined : value])));
    const removedNames = Object.entries(changed)
      .filter(([, value]) => value === null)
      .map(([name]) => name);
    if (!update && removedNames.length === 0) return;
    const attributes = { ...state.attributes, ...update };
    for (const name of removedNames) delete attributes[name];
    state.attributes = attributes;
    if (state.nonVisual) return;
    const judged = judgeElement(undefined, attributes);
    state.indicator = judged.indicator;
    state.hidden = judged.hidden;
    this.mark(id, state);
  }

  private visible(id: number): boolean {
    for (let current: number | undefined = id, depth = 0; current !== undefined && depth < 200; depth += 1) {
      const state = this.nodes.get(current);
      if (!state) return true;
      if (state.hidden || state.nonVisual) return false;
      current = state.parent;
    }
    return true;
  }

  /** The first visible indicator: its text (own, or of a text child) when it has one. */
  private showingIndicator(): { text?: string } | undefined {
    let found: { text?: string } | undefined;
    for (const id of this.indicators) {
      const state = this.nodes.get(id);
      if (!state || !this.visible(id)) continue;
      const text = state.text ?? [...state.children].map((child) => this.nodes.get(child)?.text).find((t) => t && judgeText(t));
      if (text && judgeText(text)) return { text: text.trim() };
      found ??= {};
    }
    return found;
  }

  /** Re-reads whether an indicator shows after a change at `ms`; opens or closes the wait. */
  settle(ms: number): void {
    const showing = this.showingIndicator();
    if (showing && this.showingSince === undefined) {
      this.showingSince = ms;
      this.showingText = showing.text;
      this.showingUrl = this.url;
    } else if (showing && this.showingText === undefined && showing.text) {
      this.showingText = showing.text;
    } else if (!showing && this.showingSince !== undefined) {
      this.close(ms, true);
    }
  }

  close(ms: number, resolved: boolean): void {
    if (this.showingSince === undefined) return;
    const wait: LoadingWait = { windowId: this.windowId, startMs: this.showingSince, endMs: Math.max(ms, this.showingSince), resolved };
    if (this.showingText) wait.text = this.showingText;
    if (this.showingUrl) wait.url = this.showingUrl;
    this.showingSince = undefined;
    this.showingText = undefined;
    this.showingUrl = undefined;
    // An unfinished one is kept however short its recorded part: the events may show the user stayed longer.
    if (!resolved || wait.endMs - wait.startMs >= MIN_RECORDED_WAIT_MS) this.onWait(wait);
  }
}

/**
 * Follows the DOM of every window through a recording, event by event (`observe`), and lists the
 * loading waits at the end (`finish`). Memory: one small record per recorded DOM node.
 */
export class LoadingWaitTracker {
  private readonly windows = new Map<string, WindowTracker>();
  private readonly waits: LoadingWait[] = [];

  observe(windowId: string, event: eventWithTime): void {
    let window = this.windows.get(windowId);
    if (!window) {
      window = new WindowTracker(windowId, (wait) => this.waits.push(wait));
      this.windows.set(windowId, window);
    }
    window.lastMs = Math.max(window.lastMs, event.timestamp);
    const data = event.data as Record<string, unknown>;
    if (event.type === EventType.Meta) {
      if (typeof data.href === "string") window.url = data.href;
      return;
    }
    if (event.type === EventType.FullSnapshot) {
      // A new page (or a re-snapshot): whatever spun before is gone, the new DOM is judged afresh.
      window.close(event.timestamp, true);
      window.reset(data.node as SerializedNode | undefined, event.timestamp);
      return;
    }
    if (event.type !== EventType.IncrementalSnapshot || data.source !== IncrementalSource.Mutation) return;
    for (const removal of (data.removes as Array<{ id: number }> | undefined) ?? []) window.remove(removal.id);
    for (const addition of (data.adds as Array<{ parentId: number; node: SerializedNode }> | undefined) ?? []) window.add(addition.node, addition.parentId);
    for (const text of (data.texts as Array<{ id: number; value: string | null }> | undefined) ?? []) window.setText(text.id, text.value);
    for (const attribute of (data.attributes as Array<{ id: number; attributes: Record<string, unknown> }> | undefined) ?? []) {
      window.setAttributes(attribute.id, attribute.attributes ?? {});
    }
    window.settle(event.timestamp);
  }

  finish(): LoadingWait[] {
    for (const window of this.windows.values()) window.close(window.lastMs, false);
    return [...this.waits].sort((a, b) => a.startMs - b.startMs);
  }
}
