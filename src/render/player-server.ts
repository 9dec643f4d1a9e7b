import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import path from "node:path";
import type { eventWithTime } from "@rrweb/types";
import { REPLAYER_OPTIONS } from "./replayer-options.ts";

const require = createRequire(import.meta.url);
const RRWEB_DIST = path.dirname(require.resolve("rrweb"));

/**
 * Only the player's own scripts may run. Other loads (images, styles, fonts, frames the recording
 * references) are not refused here but by the browser-side request filter, which also counts them:
 * a CSP refusal happens before any request exists and is not reliably reported.
 */
const CONTENT_SECURITY_POLICY = "script-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; base-uri 'none'";

/**
 * The replay page. The Replayer builds the recorded page in an iframe sandboxed to
 * `allow-same-origin` (rrweb's default): recorded scripts never run.
 */
const PLAYER_HTML = `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<link rel="stylesheet" href="/rrweb.css">
<style>html,body{margin:0;padding:0;background:#fff;overflow:hidden}.replayer-wrapper{position:relative}.replayer-mouse-tail{display:none}.replayer-mouse,.replayer-mouse:after{transition:none!important;animation:none!important}.replay-no-cursor .replayer-mouse{visibility:hidden!important}</style>
<script src="/rrweb.js"></script>
</head>
<body>
<div id="root"></div>
<script>
window.__replay = {
  async load(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error("clip " + url + ": HTTP " + response.status);
    const events = await response.json();
    const replayer = new rrweb.Replayer(events, {
      ...${JSON.stringify(REPLAYER_OPTIONS)},
      root: document.getElementById("root"),
      // What a frame shows must depend on the recording only, not on when the screenshot is taken.
      insertStyleRules: ["*,*::before,*::after{animation-play-state:paused!important;transition:none!important;caret-color:transparent!important}"],
    });
    replayer.pause(0);
    window.__replay.replayer = replayer;
    // The cursor is an SVG background: decode it now, or the first frame may show it half-drawn.
    const mouse = replayer.wrapper.querySelector(".replayer-mouse");
    const cursorUrl = mouse ? /url\\("?(.*?)"?\\)$/.exec(getComputedStyle(mouse).backgroundImage) : null;
    if (cursorUrl) {
      const image = new Image();
      image.src = cursorUrl[1];
      await image.decode().catch(() => undefined);
    }
    const meta = replayer.getMetaData();
    return { startTime: meta.startTime, endTime: meta.endTime, events: events.length };
  },
  async seek(offsetMs) {
    window.__replay.replayer.pause(offsetMs);
    // Let the rebuilt page settle (fonts, decoded images, two painted frames) before it is looked at.
    const doc = window.__replay.replayer.iframe.contentDocument;
    if (doc && doc.fonts) await doc.fonts.ready;
    await Promise.all(Array.from(doc ? doc.images : []).map((img) => (img.decode ? img.decode().catch(() => undefined) : undefined)));
    // Read layout (sticky elements follow the restored scroll offsets), then let two frames paint.
    if (doc && doc.documentElement) void doc.documentElement.getBoundingClientRect();
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    if (doc && doc.documentElement) void doc.documentElement.getBoundingClientRect();
    await new Promise((resolve) => requestAnimationFrame(resolve));
    return window.__replay.replayer.getCurrentTime();
  },
  text() {
    const doc = window.__replay.replayer.iframe.contentDocument;
    return doc ? window.__replay.textOf(doc) : "";
  },
  // innerText leaves out open shadow roots and frames: their rendered text follows, line by line.
  textOf(doc) {
    const parts = [doc.body ? doc.body.innerText : ""];
    const rendered = (el) => (el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : el.getClientRects().length > 0);
    const visit = (root) => {
      for (const el of root.querySelectorAll("*")) {
        if (el.shadowRoot) {
          for (const child of el.shadowRoot.childNodes) {
            if (child.nodeType === 1 && rendered(child) && child.innerText) parts.push(child.innerText);
            else if (child.nodeType === 3 && child.textContent.trim() && rendered(el)) parts.push(child.textContent);
          }
          visit(el.shadowRoot);
        }
        if ((el.tagName === "IFRAME" || el.tagName === "FRAME") && rendered(el)) {
          let inner = null;
          try { inner = el.contentDocument; } catch (error) { inner = null; }
          if (inner && inner.body) parts.push(window.__replay.textOf(inner));
        }
      }
    };
    if (doc.documentElement) visit(doc.documentElement);
    return parts.filter(Boolean).join("\\n");
  },
  // The cursor, and the hover styles rrweb gives what is under it (a ":hover" class), come from the
  // pointer: without them a screenshot shows only what the page itself shows.
  cursor(visible) {
    document.documentElement.classList.toggle("replay-no-cursor", !visible);
    const doc = window.__replay.replayer.iframe.contentDocument;
    if (!visible) {
      window.__replay.hovered = doc ? Array.from(doc.getElementsByClassName(":hover")) : [];
      for (const el of window.__replay.hovered) el.classList.remove(":hover");
    } else {
      for (const el of window.__replay.hovered || []) el.classList.add(":hover");
      window.__replay.hovered = [];
    }
  },
  size() {
    const iframe = window.__replay.replayer.iframe;
    return { width: iframe.offsetWidth, height: iframe.offsetHeight };
  },
};
</script>
</body>
</html>`;

/** A local HTTP server that serves the replay page, rrweb, and registered clips' events. */
export class PlayerServer {
  private readonly clips = new Map<string, string>();
  private server?: Server;
  private assets?: { script: Buffer; style: Buffer };
  origin = "";

  async start(): Promise<this> {
    this.assets = {
      script: await readFile(path.join(RRWEB_DIST, "..", "umd", "rrweb.min.js")),
      style: await readFile(path.join(RRWEB_DIST, "style.min.css")),
    };
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://player.invalid");
      const send = (status: number, type: string, body: string | Buffer) => {
        response.writeHead(status, {
          "content-type": type,
          "content-security-policy": CONTENT_SECURITY_POLICY,
          "cache-control": "no-store",
        });
        response.end(body);
      };
      if (request.method !== "GET") return send(405, "text/plain", "method not allowed");
      if (url.pathname === "/player.html") return send(200, "text/html; charset=utf-8", PLAYER_HTML);
      if (url.pathname === "/rrweb.js") return send(200, "text/javascript", this.assets!.script);
      if (url.pathname === "/rrweb.css") return send(200, "text/css", this.assets!.style);
      const clip = /^\/clips\/([0-9a-f-]{36})\.json$/.exec(url.pathname);
      const body = clip ? this.clips.get(clip[1]!) : undefined;
      if (body !== undefined) return send(200, "application/json", body);
      send(404, "text/plain", "not found");
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /** Makes a clip's events fetchable by the page; returns its URL. Serialized once, served as is. */
  register(events: eventWithTime[]): { id: string; url: string } {
    const id = randomUUID();
    this.clips.set(id, JSON.stringify(events));
    return { id, url: `${this.origin}/clips/${id}.json` };
  }

  unregister(id: string): void {
    this.clips.delete(id);
  }

  get playerUrl(): string {
    return `${this.origin}/player.html`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
