import { REPLAYER_OPTIONS } from "../../../render/replayer-options.ts";

/** The part of rrweb's Replayer (UMD global `rrweb`) the page uses. */
interface Replayer {
  play(offsetMs?: number): void;
  pause(offsetMs?: number): void;
  getCurrentTime(): number;
  getMetaData(): { startTime: number; endTime: number; totalTime: number };
  on(event: string, handler: (payload: unknown) => void): unknown;
  destroy(): void;
  wrapper: HTMLElement;
  iframe: HTMLIFrameElement;
}
interface RrwebEvent {
  timestamp: number;
}
declare const rrweb: { Replayer: new (events: RrwebEvent[], config: Record<string, unknown>) => Replayer };

/** The one open player: which example, and where its playing started. */
export interface OpenPlayer {
  key: string;
  replayer: Replayer;
  /** Epoch ms of the Replayer's time zero (its first event). */
  zeroMs: number;
  /** Player time (ms) where playing started: 5 s before the moment. */
  startOffsetMs: number;
  momentMs: number;
}

/** Player time as shown to people: seconds relative to the example's moment, e.g. `−3.2 s`. */
export function formatRelative(ms: number): string {
  const s = ms / 1000;
  return `${s < 0 ? "−" : s > 0 ? "+" : ""}${Math.abs(s).toFixed(1)} s`;
}

/**
 * Keeps at most one rrweb player on the page: opening a replay destroys the one before it, since
 * many players at once is what made browsers run out of memory. Events are parsed from their JSON
 * block only when the replay is opened.
 */
export class ReplayManager {
  current: OpenPlayer | undefined;
  private timer: number | undefined;

  /** Opens the replay of the `.replay` element `container` (see the page's `data-*` attributes). */
  open(container: HTMLElement): OpenPlayer {
    this.close();
    const key = container.dataset.replay!;
    // By tag too: no element from report text can stand in for the data block.
    const block = document.querySelector(`script[type="application/json"]#${CSS.escape(container.dataset.events!)}`);
    const events = JSON.parse(block?.textContent ?? "[]") as RrwebEvent[];
    const slot = container.querySelector<HTMLElement>(".replay-slot")!;
    const openButton = container.querySelector<HTMLButtonElement>(".replay-open")!;
    const bar = document.createElement("div");
    bar.className = "replay-bar";
    const toggle = button("Pause", "replay-toggle");
    const restart = button("Restart at −5 s", "replay-restart");
    const close = button("Close replay", "replay-close");
    const seek = document.createElement("input");
    seek.type = "range";
    seek.className = "replay-seek";
    seek.setAttribute("aria-label", "Position in the replay");
    const time = document.createElement("output");
    time.className = "replay-time";
    bar.append(toggle, restart, seek, time, close);
    const stage = document.createElement("div");
    stage.className = "replay-stage";
    slot.replaceChildren(bar, stage);
    openButton.hidden = true;

    const replayer = new rrweb.Replayer(events, { ...REPLAYER_OPTIONS, root: stage });
    const zeroMs = replayer.getMetaData().startTime;
    const startMs = Number(container.dataset.startMs);
    const momentMs = Number(container.dataset.momentMs);
    const startOffsetMs = Math.max(0, startMs - zeroMs);
    const total = replayer.getMetaData().totalTime;
    seek.min = "0";
    seek.max = String(Math.round(total));
    seek.step = "100";
    let playing = true;
    const show = () => {
      const now = replayer.getCurrentTime();
      seek.value = String(Math.round(now));
      time.value = `${formatRelative(zeroMs + now - momentMs)} from the moment`;
      toggle.textContent = playing ? "Pause" : "Play";
    };
    const fit = () => {
      const width = replayer.iframe.offsetWidth || Number(replayer.iframe.getAttribute("width")) || 1;
      const height = replayer.iframe.offsetHeight || Number(replayer.iframe.getAttribute("height")) || 1;
      const scale = Math.min(1, stage.clientWidth / width);
      replayer.wrapper.style.transform = `scale(${scale})`;
      replayer.wrapper.style.transformOrigin = "0 0";
      stage.style.height = `${Math.ceil(height * scale)}px`;
    };
    replayer.on("resize", fit);
    replayer.on("finish", () => {
      playing = false;
      show();
    });
    toggle.addEventListener("click", () => {
      if (playing) replayer.pause();
      else replayer.play(replayer.getCurrentTime() >= total ? startOffsetMs : replayer.getCurrentTime());
      playing = !playing;
      show();
    });
    restart.addEventListener("click", () => {
      replayer.play(startOffsetMs);
      playing = true;
      show();
    });
    seek.addEventListener("input", () => {
      const to = Number(seek.value);
      if (playing) replayer.play(to);
      else replayer.pause(to);
      show();
    });
    close.addEventListener("click", () => {
      this.close();
      openButton.focus();
    });
    replayer.play(startOffsetMs);
    fit();
    this.current = { key, replayer, zeroMs, startOffsetMs, momentMs };
    this.timer = window.setInterval(show, 250);
    show();
    return this.current;
  }

  /** Destroys the open player, if any, and gives its example back its open button. */
  close(): void {
    const open = this.current;
    if (!open) return;
    this.current = undefined;
    window.clearInterval(this.timer);
    try {
      open.replayer.pause();
      open.replayer.destroy();
    } catch {
      // A player that failed halfway is removed from the page below all the same.
    }
    const container = document.querySelector<HTMLElement>(`.replay[data-replay="${CSS.escape(open.key)}"]`);
    if (container) {
      container.querySelector(".replay-slot")?.replaceChildren();
      const openButton = container.querySelector<HTMLButtonElement>(".replay-open");
      if (openButton) openButton.hidden = false;
    }
  }
}

function button(text: string, className: string): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = text;
  return b;
}
