import type { ElementHandle, Page } from "puppeteer-core";
import type { Rng } from "./random.ts";

/** One entry of the app's in-page log (`visitLog.marks()`, kept by examples/common/public/visit.js). */
export interface BrowserMark {
  seq: number;
  /** `page` | `click` | `submit` | `widget-error` | `api-failure` | `content-ready` */
  type: string;
  /** Browser `Date.now()` when it happened: the clock posthog-js stamps events with. */
  t: number;
  path: string;
  detail: Record<string, unknown>;
}

export interface Point {
  x: number;
  y: number;
}

export interface ClickOptions {
  /** The click loads another page: wait for it before returning. */
  navigates?: boolean;
  /** Milliseconds the pointer rests on the target before pressing. */
  hoverMs?: [number, number];
}

export interface TypeOptions {
  /** Select what the field holds and delete it first. */
  clear?: boolean;
  /** Chance per character of hitting a neighbouring key and correcting it. */
  typoRate?: number;
}

const READ_MARKS = "window.visitLog ? window.visitLog.marks() : []";
const NAVIGATION_TIMEOUT_MS = 30_000;

/**
 * Drives a page the way a person does: the pointer travels along curved paths and rests before it
 * presses, keys are typed one at a time with uneven delays and the odd corrected typo, pages scroll
 * by wheel. All randomness comes from `rng`; `pace` scales every pause (1 = normal, below 1 faster).
 * Page code is passed as strings: under tsx, functions given to `page.evaluate` can fail.
 */
export class Visitor {
  private pointer: Point;

  constructor(
    readonly page: Page,
    private readonly rng: Rng,
    readonly pace: number,
    readonly viewport: { width: number; height: number },
  ) {
    this.pointer = { x: Math.round(viewport.width * rng.between(0.3, 0.7)), y: Math.round(viewport.height * rng.between(0.2, 0.5)) };
  }

  /** A pause of a person's length, scaled by pace. */
  async pause(minMs: number, maxMs: number = minMs): Promise<void> {
    await sleep(this.rng.between(minMs, maxMs) * this.pace);
  }

  /** Looks at the page for a while, drifting the pointer now and then. */
  async read(minMs: number, maxMs: number = minMs): Promise<void> {
    const until = Date.now() + this.rng.between(minMs, maxMs) * this.pace;
    while (Date.now() < until) {
      const left = until - Date.now();
      if (left > 900 && this.rng.chance(0.55)) await this.drift();
      await sleep(Math.min(left, this.rng.between(350, 1100)));
    }
  }

  /** Waits the given time without any input at all (a dead click must see no reaction). */
  async stare(minMs: number, maxMs: number = minMs): Promise<void> {
    await sleep(this.rng.between(minMs, maxMs));
  }

  /** A small aimless pointer movement. */
  async drift(): Promise<void> {
    const x = clamp(this.pointer.x + this.rng.between(-180, 180), 20, this.viewport.width - 20);
    const y = clamp(this.pointer.y + this.rng.between(-120, 120), 20, this.viewport.height - 20);
    await this.moveTo({ x, y });
  }

  /** Moves the pointer along a slightly curved, eased path. */
  async moveTo(target: Point): Promise<void> {
    const from = this.pointer;
    const dx = target.x - from.x;
    const dy = target.y - from.y;
    const distance = Math.hypot(dx, dy);
    if (distance < 2) return;
    const segments = clamp(Math.round(distance / 60), 3, 18);
    const bend = this.rng.between(-0.22, 0.22) * distance;
    const normal = { x: -dy / distance, y: dx / distance };
    const c1 = { x: from.x + dx * 0.3 + normal.x * bend, y: from.y + dy * 0.3 + normal.y * bend };
    const c2 = { x: from.x + dx * 0.75 + normal.x * bend * 0.4, y: from.y + dy * 0.75 + normal.y * bend * 0.4 };
    for (let i = 1; i <= segments; i += 1) {
      const t = easeInOut(i / segments);
      const last = i === segments;
      const jitter = last ? 0 : this.rng.between(-1.5, 1.5);
      const point = {
        x: bezier(from.x, c1.x, c2.x, target.x, t) + jitter,
        y: bezier(from.y, c1.y, c2.y, target.y, t) + jitter,
      };
      await this.page.mouse.move(point.x, point.y, { steps: this.rng.int(1, 3) });
      await sleep(this.rng.between(8, 24));
    }
    this.pointer = { ...target };
  }

  /** Points at an element (scrolling it into view first) and rests there. */
  async hover(selector: string, restMs: [number, number] = [300, 900]): Promise<void> {
    await this.moveTo(await this.locate(selector));
    await this.pause(restMs[0], restMs[1]);
  }

  /**
   * Clicks an element like a person and returns the browser time of the click, as the page saw it
   * (the same dispatch in which posthog-js autocaptures it).
   */
  async click(selector: string, options: ClickOptions = {}): Promise<number> {
    const before = await this.lastSeq();
    const point = await this.locate(selector);
    await this.moveTo(point);
    const [minHover, maxHover] = options.hoverMs ?? [120, 450];
    await this.pause(minHover, maxHover);
    await this.press(options.navigates ?? false);
    return (await this.markAfter(before, "click")).t;
  }

  /** Clicks where the pointer already is, quickly: the repeated clicks of an impatient person. */
  async clickAgain(options: { navigates?: boolean } = {}): Promise<number> {
    const before = await this.lastSeq();
    await this.press(options.navigates ?? false);
    return (await this.markAfter(before, "click")).t;
  }

  /** Types into a field: clicks it, optionally clears it, then one key at a time. */
  async type(selector: string, text: string, options: TypeOptions = {}): Promise<void> {
    await this.click(selector, { hoverMs: [80, 250] });
    if (options.clear) {
      await this.page.keyboard.down("Control");
      await this.page.keyboard.press("a");
      await this.page.keyboard.up("Control");
      await this.pause(80, 200);
      await this.page.keyboard.press("Backspace");
      await this.pause(150, 400);
    }
    const typoRate = options.typoRate ?? 0.03;
    for (const ch of text) {
      if (/[a-z]/i.test(ch) && this.rng.chance(typoRate)) {
        await this.page.keyboard.type(neighbourKey(ch, this.rng));
        await this.pause(180, 450);
        await this.page.keyboard.press("Backspace");
        await this.pause(90, 220);
      }
      await this.page.keyboard.type(ch);
      await sleep(this.rng.between(45, 170) * this.pace + (ch === " " ? this.rng.between(0, 120) : 0));
    }
  }

  /** Presses Enter in the focused field; returns the browser time of the form's submit. */
  async pressEnter(options: { navigates?: boolean } = {}): Promise<number> {
    const before = await this.lastSeq();
    await this.pause(150, 500);
    if (options.navigates) await Promise.all([this.page.waitForNavigation({ waitUntil: "load", timeout: NAVIGATION_TIMEOUT_MS }), this.page.keyboard.press("Enter")]);
    else await this.page.keyboard.press("Enter");
    return (await this.markAfter(before, "submit")).t;
  }

  /** Scrolls by wheel, in a few uneven notches. */
  async scrollBy(deltaY: number): Promise<void> {
    let left = deltaY;
    while (Math.abs(left) > 1) {
      const notch = Math.sign(left) * Math.min(Math.abs(left), this.rng.between(90, 240));
      await this.page.mouse.wheel({ deltaY: notch });
      left -= notch;
      await sleep(this.rng.between(40, 140));
    }
    await sleep(120);
  }

  /** Selects an option of a `<select>` the way the keyboard does after a click. */
  async choose(selector: string, value: string): Promise<void> {
    await this.click(selector, { hoverMs: [150, 400] });
    await this.pause(300, 700);
    await this.page.select(selector, value);
    await this.page.keyboard.press("Escape");
  }

  async waitFor(selector: string, timeoutMs = 20_000): Promise<void> {
    await this.page.waitForSelector(selector, { visible: true, timeout: timeoutMs });
  }

  async exists(selector: string): Promise<boolean> {
    return (await this.page.$(selector)) !== null;
  }

  /** The browser's clock. */
  async now(): Promise<number> {
    return (await this.evaluate("Date.now()")) as number;
  }

  /** The app's in-page log for this visit. */
  async marks(): Promise<BrowserMark[]> {
    return (await this.evaluate(READ_MARKS)) as BrowserMark[];
  }

  /** Runs page code given as a string; retries while a navigation replaces the document. */
  async evaluate(expression: string): Promise<unknown> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 40; attempt += 1) {
      try {
        return await this.page.evaluate(expression);
      } catch (error) {
        lastError = error;
        if (!/context was destroyed|Cannot find context|detached|navigat/i.test(String(error))) throw error;
        await sleep(100);
      }
    }
    throw lastError;
  }

  private async press(navigates: boolean): Promise<void> {
    const gesture = async (): Promise<void> => {
      await this.page.mouse.down();
      await sleep(this.rng.between(45, 120));
      await this.page.mouse.up();
    };
    if (navigates) await Promise.all([this.page.waitForNavigation({ waitUntil: "load", timeout: NAVIGATION_TIMEOUT_MS }), gesture()]);
    else await gesture();
  }

  private async lastSeq(): Promise<number> {
    const marks = await this.marks();
    return marks.length === 0 ? 0 : (marks[marks.length - 1]?.seq ?? 0);
  }

  /** The first mark of a type logged after `seq`; waits briefly for it (a navigation may be under way). */
  private async markAfter(seq: number, type: string): Promise<BrowserMark> {
    for (let attempt = 0; attempt < 30; attempt += 1) {
      const found = (await this.marks()).find((m) => m.seq > seq && m.type === type);
      if (found) return found;
      await sleep(100);
    }
    throw new Error(`the page logged no ${type} after mark ${seq} (${this.page.url()})`);
  }

  /** A point inside the element, after scrolling it into view by wheel. */
  private async locate(selector: string): Promise<Point> {
    const handle = await this.page.waitForSelector(selector, { visible: true, timeout: 20_000 });
    if (!handle) throw new Error(`no element ${selector} on ${this.page.url()}`);
    let box = await boxOf(handle, selector);
    const top = 70;
    const bottom = this.viewport.height - 40;
    for (let i = 0; i < 12 && (box.y < top || box.y + box.height > bottom); i += 1) {
      const wanted = box.y - this.viewport.height * this.rng.between(0.3, 0.5);
      const scrollBefore = (await this.evaluate("window.scrollY")) as number;
      await this.scrollBy(clamp(wanted, -this.viewport.height * 0.8, this.viewport.height * 0.8));
      await this.pause(150, 400);
      box = await boxOf(handle, selector);
      if (((await this.evaluate("window.scrollY")) as number) === scrollBefore) break;
    }
    return {
      x: box.x + box.width * clamp(0.5 + this.rng.between(-0.25, 0.25), 0.15, 0.85),
      y: box.y + box.height * clamp(0.5 + this.rng.between(-0.2, 0.2), 0.2, 0.8),
    };
  }
}

async function boxOf(handle: ElementHandle, selector: string): Promise<{ x: number; y: number; width: number; height: number }> {
  const box = await handle.boundingBox();
  if (!box) throw new Error(`element ${selector} has no box`);
  return box;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function easeInOut(t: number): number {
  return t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2;
}

function bezier(p0: number, p1: number, p2: number, p3: number, t: number): number {
  const u = 1 - t;
  return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
}

const KEYBOARD_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];

/** A key next to the given letter on a QWERTY keyboard, in the same case. */
function neighbourKey(ch: string, rng: Rng): string {
  const lower = ch.toLowerCase();
  for (const row of KEYBOARD_ROWS) {
    const index = row.indexOf(lower);
    if (index < 0) continue;
    const candidates = [row[index - 1], row[index + 1]].filter((c): c is string => c !== undefined);
    const key = rng.pick(candidates);
    return ch === lower ? key : key.toUpperCase();
  }
  return ch;
}
