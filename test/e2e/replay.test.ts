import { mkdir, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readFile } from "node:fs/promises";
import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractClipFromFile } from "../../src/replay/clip.ts";
import { launchChromium } from "../../src/render/browser.ts";
import { PlayerServer } from "../../src/render/player-server.ts";
import { ReplaySession } from "../../src/render/replay.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { rr } from "../unit/rrweb-events.ts";
import { EventType, IncrementalSource, NodeType } from "@rrweb/types";
import type { eventWithTime } from "@rrweb/types";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SAMPLE = path.join(ROOT, "examples/sample");
const ARTIFACTS = path.join(ROOT, ".artifacts");
const SEARCH_500 = "0192fc7c-18ee-7048-9276-ed1c2a297964";

let browser: Browser;
let player: PlayerServer;

beforeAll(async () => {
  browser = await launchChromium();
  player = await new PlayerServer().start();
  await mkdir(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await player?.close();
});

describe("ReplaySession", () => {
  it("shows the sample's search error banner at the labelled moment, and not before", async () => {
    const source = new DatasetSource(SAMPLE);
    const labels = JSON.parse(await readFile(path.join(SAMPLE, "labels.json"), "utf8"));
    const issue = labels.sessions[SEARCH_500].issues.find((i: { kind: string }) => i.kind === "visible_api_failure");
    const at = Date.parse(issue.timestamp);
    const files = await source.sessionFiles(SEARCH_500);
    const clip = await extractClipFromFile(files.recording!, { startMs: at - 7_000, endMs: at + 5_000 });
    const replay = await ReplaySession.open(browser, player, clip.windows[0]!.events);
    try {
      await replay.seek(at - 3_000);
      expect(await replay.text()).not.toContain("Something went wrong");
      await replay.seek(at + 2_000);
      expect(await replay.text()).toContain("Something went wrong");
      const png = await replay.screenshot();
      expect(png.subarray(1, 4).toString()).toBe("PNG");
      await writeFile(path.join(ARTIFACTS, "replay-sample-search-500.png"), png);
    } finally {
      await replay.close();
    }
  });

  it("blocks every request the recording makes to the outside, and counts it", async () => {
    let outsideHits = 0;
    let outsideConnections = 0;
    const outside: Server = createServer((_req, res) => {
      outsideHits += 1;
      res.end("x");
    });
    // Connection hints open sockets without any request: count connections, not only requests.
    outside.on("connection", () => (outsideConnections += 1));
    await new Promise<void>((resolve) => outside.listen(0, "127.0.0.1", resolve));
    const outsideUrl = `http://127.0.0.1:${(outside.address() as AddressInfo).port}`;
    const t = Date.parse("2026-11-01T10:00:00Z");
    const node = (id: number, tagName: string, attributes: Record<string, string>, childNodes: unknown[] = []) => ({
      type: NodeType.Element,
      id,
      tagName,
      attributes,
      childNodes,
    });
    const snapshot = rr.fullSnapshot(t + 1) as eventWithTime & { data: { node: { childNodes: unknown[] } } };
    snapshot.data.node.childNodes = [
      node(2, "html", {}, [
        node(3, "head", {}, [
          node(5, "link", { rel: "stylesheet", href: `${outsideUrl}/style.css` }),
          node(15, "link", { rel: "preconnect", href: outsideUrl }),
          node(16, "link", { rel: "dns-prefetch prefetch", href: `${outsideUrl}/next.html` }),
        ]),
        node(4, "body", {}, [
          node(6, "img", { src: `${outsideUrl}/pixel.png` }),
          node(7, "img", { src: "http://10.1.2.3/private.png" }),
          node(8, "iframe", { src: `${outsideUrl}/frame.html` }),
          node(9, "script", {}, [{ type: NodeType.Text, id: 10, textContent: `fetch("${outsideUrl}/script")` }]),
          node(11, "div", { style: `background-image: url(${outsideUrl}/bg.png)` }, [{ type: NodeType.Text, id: 12, textContent: "hostile" }]),
        ]),
      ]),
    ];
    const later: eventWithTime = {
      type: EventType.IncrementalSnapshot,
      timestamp: t + 500,
      data: {
        source: IncrementalSource.Mutation,
        texts: [],
        attributes: [],
        removes: [],
        adds: [
          { parentId: 4, nextId: null, node: node(13, "img", { src: `${outsideUrl}/late.png` }) },
          { parentId: 4, nextId: null, node: { type: NodeType.Text, id: 14, textContent: "added later" } },
        ],
      },
    } as eventWithTime;
    const replay = await ReplaySession.open(browser, player, [rr.meta(t, "https://evil.test/"), snapshot, later]);
    try {
      await replay.seek(t + 1_000);
      expect(await replay.text()).toContain("hostile");
      expect(await replay.text()).toContain("added later");
      const expected = [`${outsideUrl}/style.css`, `${outsideUrl}/pixel.png`, "http://10.1.2.3/private.png", `${outsideUrl}/bg.png`, `${outsideUrl}/late.png`, `${outsideUrl}/frame.html`];
      // Refusals are reported asynchronously: wait (bounded) until each expected one is counted.
      for (let waited = 0; waited < 3_000 && !expected.every((url) => replay.blocked.some((b) => b.url === url)); waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(replay.blocked.map((b) => b.url)).toEqual(expect.arrayContaining(expected));
      expect(replay.blocked.filter((b) => b.resourceType === "stripped").map((b) => b.url)).toEqual([outsideUrl, `${outsideUrl}/next.html`, `${outsideUrl}/frame.html`]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(outsideHits).toBe(0);
      expect(outsideConnections).toBe(0);
    } finally {
      await replay.close();
      outside.close();
    }
  });

  it("reads the text inside open shadow roots and same-origin frames, and not a shadow root's styles", async () => {
    const t = Date.parse("2026-11-01T10:00:00Z");
    const element = (id: number, tagName: string, attributes: Record<string, string>, childNodes: unknown[] = [], extra: Record<string, unknown> = {}) => ({
      type: NodeType.Element,
      id,
      tagName,
      attributes,
      childNodes,
      ...extra,
    });
    const text = (id: number, textContent: string, extra: Record<string, unknown> = {}) => ({ type: NodeType.Text, id, textContent, ...extra });
    const snapshot = rr.fullSnapshot(t + 1) as eventWithTime & { data: { node: { childNodes: unknown[] } } };
    snapshot.data.node.childNodes = [
      element(2, "html", {}, [
        element(3, "head", {}),
        element(4, "body", {}, [
          element(5, "p", {}, [text(6, "Light text")]),
          element(
            7,
            "checkout-form",
            {},
            [element(8, "style", {}, [text(9, "p{color:red}", { isStyle: true })], { isShadow: true }), element(10, "p", {}, [text(11, "Card declined inside the shadow root")], { isShadow: true })],
            { isShadowHost: true },
          ),
          element(12, "iframe", {}),
        ]),
      ]),
    ];
    // rrweb records a same-origin frame's document as a mutation that attaches it to the iframe.
    const frameDocument: eventWithTime = {
      type: EventType.IncrementalSnapshot,
      timestamp: t + 2,
      data: {
        source: IncrementalSource.Mutation,
        isAttachIframe: true,
        texts: [],
        attributes: [],
        removes: [],
        adds: [
          {
            parentId: 12,
            nextId: null,
            node: { type: NodeType.Document, id: 20, childNodes: [element(21, "html", {}, [element(22, "head", {}), element(23, "body", {}, [text(24, "Payment failed inside the frame")])])] },
          },
        ],
      },
    } as unknown as eventWithTime;
    const replay = await ReplaySession.open(browser, player, [rr.meta(t, "https://shop.example/"), snapshot, frameDocument]);
    try {
      await replay.seek(t + 500);
      const visible = await replay.text();
      expect(visible).toContain("Light text");
      expect(visible).toContain("Card declined inside the shadow root");
      expect(visible).toContain("Payment failed inside the frame");
      expect(visible).not.toContain("color:red");
    } finally {
      await replay.close();
    }
  });

  it("counts each refused URL once however often the replay is moved", async () => {
    const t = Date.parse("2026-11-01T10:00:00Z");
    const snapshot = rr.fullSnapshot(t + 1) as eventWithTime & { data: { node: { childNodes: Array<{ childNodes: Array<{ childNodes: unknown[] }> }> } } };
    snapshot.data.node.childNodes[0]!.childNodes[0]!.childNodes.push({ type: NodeType.Element, id: 9, tagName: "img", attributes: { src: "https://images.example.com/a.png" }, childNodes: [] });
    const replay = await ReplaySession.open(browser, player, [rr.meta(t, "https://shop.example/"), snapshot, rr.mutation(t + 300), rr.mutation(t + 600, "again")]);
    try {
      // Seeking back rebuilds the page from the snapshot: the image is asked for again each time.
      for (const at of [t + 100, t + 700, t + 200, t + 800, t + 100]) await replay.seek(at);
      for (let waited = 0; waited < 2_000 && replay.blockedAttempts < 2; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(replay.blockedAttempts).toBeGreaterThan(1);
      expect(replay.blocked.map((b) => b.url)).toEqual(["https://images.example.com/a.png"]);
    } finally {
      await replay.close();
    }
  });

  it("refuses events without a full snapshot", async () => {
    await expect(ReplaySession.open(browser, player, [rr.meta(1), rr.click(2)])).rejects.toMatchObject({ code: "no_full_snapshot" });
  });
});
