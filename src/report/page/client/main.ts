import { ChatPanel } from "./chat.ts";
import { parseFragment, patternVisible, type FilterState } from "./filters.ts";
import { ReplayManager } from "./replay.ts";

interface PageConfig {
  report_id: string;
  served: { report_id: string; api_base: string; chat: boolean } | null;
  replay_lead_ms: number;
}

/** What tests (and the curious) can read from the page: timings and the one open player. */
interface PageHandle {
  ready: boolean;
  /** ms from navigation start to the page being interactive (the script runs last, as the document is parsed). */
  readyMs: number;
  /** ms the page script's setup took. */
  initMs: number;
  replays: ReplayManager;
  player(): { key: string; currentTimeMs: number; startOffsetMs: number; zeroMs: number; momentMs: number } | null;
}

declare global {
  interface Window {
    __reportPage?: PageHandle;
  }
}

/**
 * The page's own elements by tag and id: an element from report text with the same id (a pattern's
 * alias anchor, say) cannot stand in for one of them.
 */
function own<K extends keyof HTMLElementTagNameMap>(tag: K, id: string): HTMLElementTagNameMap[K] | null {
  return document.querySelector(`${tag}#${CSS.escape(id)}`);
}

const config = JSON.parse(own("script", "page-config")!.textContent!) as PageConfig;
const replays = new ReplayManager();

function filterState(form: HTMLFormElement): FilterState {
  const severities = new Set(
    Array.from(form.querySelectorAll<HTMLInputElement>('input[name="severity"]'))
      .filter((i) => i.checked)
      .map((i) => i.value),
  );
  return {
    severities,
    blockingOnly: form.querySelector<HTMLInputElement>('input[name="blocking"]')!.checked,
    validatedOnly: form.querySelector<HTMLInputElement>('input[name="validated"]')!.checked,
  };
}

function applyFilters(): void {
  const form = own("form", "page-filters");
  if (!form) return;
  const state = filterState(form);
  const items = document.querySelectorAll<HTMLElement>(".pattern-item");
  let shown = 0;
  for (const item of Array.from(items)) {
    const visible = patternVisible({ severity: item.dataset.severity!, blocking: item.dataset.blocking === "true", validated: item.dataset.validated === "true" }, state);
    item.hidden = !visible;
    if (visible) shown += 1;
  }
  const count = own("output", "filter-count");
  if (count) count.textContent = `${shown} of ${items.length} patterns shown`;
  const open = replays.current;
  if (open && own("details", `example-${open.key}`)?.closest<HTMLElement>(".pattern-item")?.hidden) replays.close();
}

/** Shows a filtered-out pattern again by clearing the filters: a shared link must land somewhere. */
function reveal(element: HTMLElement): void {
  const item = element.closest<HTMLElement>(".pattern-item");
  if (!item?.hidden) return;
  const form = own("form", "page-filters");
  form?.querySelectorAll<HTMLInputElement>("input[type=checkbox]").forEach((input) => {
    input.checked = input.name === "severity" && !input.disabled;
  });
  applyFilters();
}

function openAncestors(element: HTMLElement): void {
  for (let node: HTMLElement | null = element; node; node = node.parentElement) {
    if (node instanceof HTMLDetailsElement) node.open = true;
  }
}

function followFragment(): void {
  const target = parseFragment(location.hash);
  if (!target) return;
  let element = document.getElementById(target.id);
  if (!element) return;
  if (target.kind === "element" && element.classList.contains("alias-anchor")) element = element.closest("details") ?? element;
  reveal(element);
  openAncestors(element);
  if (target.kind === "replay") {
    const container = element.querySelector<HTMLElement>(".replay");
    if (container) startReplay(container);
  }
  element.scrollIntoView({ block: "start" });
  element.querySelector<HTMLElement>("summary")?.focus({ preventScroll: true });
}

function startReplay(container: HTMLElement): void {
  try {
    replays.open(container);
  } catch (error) {
    replays.close();
    const slot = container.querySelector<HTMLElement>(".replay-slot");
    if (slot) {
      const p = document.createElement("p");
      p.className = "unavailable";
      p.textContent = `Replay unavailable: ${error instanceof Error ? error.message : String(error)}`;
      slot.replaceChildren(p);
    }
  }
}

/** A clip's speed buttons set its video's playbackRate (kept across plays by the browser). */
function setClipRate(button: HTMLButtonElement): void {
  const figure = button.closest<HTMLElement>("figure.clip");
  const video = figure?.querySelector("video");
  const rate = Number(button.dataset.rate);
  if (!figure || !video || !(rate > 0)) return;
  video.defaultPlaybackRate = rate;
  video.playbackRate = rate;
  figure.querySelectorAll<HTMLButtonElement>("button.clip-rate").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
}

function init(): void {
  const form = own("form", "page-filters");
  form?.addEventListener("change", applyFilters);
  form?.addEventListener("submit", (event) => event.preventDefault());

  document.addEventListener("click", (event) => {
    const target = event.target as Element | null;
    const rate = target?.closest<HTMLButtonElement>("button.clip-rate");
    if (rate) setClipRate(rate);
    const container = target?.closest<HTMLButtonElement>("button.replay-open")?.closest<HTMLElement>(".replay");
    if (container) startReplay(container);
    // A link to the fragment already in the URL fires no hashchange: follow it anyway.
    const link = target?.closest<HTMLAnchorElement>('a[href^="#"]');
    if (link && link.getAttribute("href") === location.hash) {
      event.preventDefault();
      followFragment();
    }
  });
  // Closing what holds the player removes it; opening an example lets its clip load its header.
  document.addEventListener(
    "toggle",
    (event) => {
      const details = event.target as HTMLDetailsElement;
      if (!(details instanceof HTMLDetailsElement)) return;
      if (details.open) {
        if (details.classList.contains("example")) details.querySelectorAll("video").forEach((v) => (v.preload = "metadata"));
        return;
      }
      const open = replays.current;
      if (open && details.contains(own("details", `example-${open.key}`))) replays.close();
    },
    true,
  );
  window.addEventListener("hashchange", followFragment);

  if (config.served?.chat) {
    const log = own("div", "chat-log");
    const chatForm = own("form", "chat-form");
    const input = own("textarea", "chat-input");
    const status = own("p", "chat-status");
    if (log && chatForm && input && status) {
      new ChatPanel({ apiBase: config.served.api_base, reportId: config.served.report_id, key: new URLSearchParams(location.search).get("key"), log, form: chatForm, input, status });
    }
  }
  followFragment();
}

const initStart = performance.now();
init();
const readyAt = performance.now();
window.__reportPage = {
  ready: true,
  initMs: readyAt - initStart,
  readyMs: readyAt,
  replays,
  player() {
    const open = replays.current;
    return open ? { key: open.key, currentTimeMs: open.replayer.getCurrentTime(), startOffsetMs: open.startOffsetMs, zeroMs: open.zeroMs, momentMs: open.momentMs } : null;
  },
};
document.documentElement.dataset.ready = "true";
