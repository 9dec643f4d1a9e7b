import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { NodeType, type eventWithTime } from "@rrweb/types";
import { describe, expect, it } from "vitest";
import { launchChromium } from "../../src/render/browser.ts";
import { renderClip } from "../../src/render/clip-renderer.ts";
import { PlayerServer } from "../../src/render/player-server.ts";
import { rr } from "../unit/rrweb-events.ts";

interface NetLog {
  constants: { logEventTypes: Record<string, number> };
  events: Array<{ type: number; params?: Record<string, unknown> }>;
}

const LOCAL_HOST = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1|~notfound)$/i;

function hostOf(value: unknown): string {
  const text = String(value ?? "");
  try {
    return new URL(text.includes("://") ? text : `http://${text}`).hostname;
  } catch {
    return text;
  }
}

/** Names Chromium really resolved (a resolver job runs only when a lookup is made) and the addresses it connected to. */
function trafficOf(log: NetLog): { lookups: string[]; connections: string[]; attempts: string[] } {
  const names = Object.fromEntries(Object.entries(log.constants.logEventTypes).map(([name, id]) => [id, name]));
  const lookups = new Set<string>();
  const connections = new Set<string>();
  // A request Chromium started, whatever became of it: the resolver rule makes a vendor call fail
  // without a lookup, but the attempt still shows here, so the disabled features are tested too.
  const attempts = new Set<string>();
  for (const event of log.events) {
    const type = names[event.type] ?? "";
    if ((type === "HOST_RESOLVER_MANAGER_JOB" || type === "HOST_RESOLVER_DNS_TASK" || type.startsWith("DNS_TRANSACTION")) && event.params?.host) {
      const host = hostOf(event.params.host);
      if (!LOCAL_HOST.test(host)) lookups.add(host);
    }
    // A UDP "connect" sends nothing (Chromium's IPv6 reachability probe); TCP connects open connections.
    if (type === "TCP_CONNECT" && event.params?.address) {
      const address = String(event.params.address);
      if (!/^(127\.|\[::1\])/.test(address)) connections.add(address);
    }
    if ((type === "URL_REQUEST_START_JOB" || type === "REQUEST_ALIVE") && typeof event.params?.url === "string") {
      const url = event.params.url;
      if (/^(https?|wss?):/.test(url) && !LOCAL_HOST.test(hostOf(url))) attempts.add(url);
    }
  }
  return { lookups: [...lookups], connections: [...connections], attempts: [...attempts] };
}

describe("Chromium's own traffic", () => {
  it("resolves no name, connects nowhere and tries only the two callers without a switch, while launching and rendering a clip that points outside", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "ss-netlog-"));
    const logFile = path.join(dir, "net.json");
    const player = await new PlayerServer().start();
    const browser = await launchChromium({ args: [`--log-net-log=${logFile}`] });
    try {
      const t = Date.parse("2026-11-01T10:00:00Z");
      const snapshot = rr.fullSnapshot(t + 1, "quiet") as eventWithTime & { data: { node: { childNodes: Array<{ childNodes: Array<{ childNodes: unknown[] }> }> } } };
      snapshot.data.node.childNodes[0]!.childNodes[0]!.childNodes.push({ type: NodeType.Element, id: 9, tagName: "img", attributes: { src: "https://images.example.com/a.png" }, childNodes: [] });
      const events: eventWithTime[] = [rr.meta(t, "https://shop.example.com/"), snapshot, rr.mutation(t + 600, "still quiet")];
      const started = Date.now();
      const clip = await renderClip(browser, player, events, { startMs: t, endMs: t + 1_000 }, { framesPerSecond: 2 });
      expect(clip.frames).toHaveLength(3);
      // Chromium's start-up calls come within a second or two of launch: give them time to show.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 4_000 - (Date.now() - started))));
    } finally {
      await browser.close();
      await player.close();
    }
    try {
      const traffic = trafficOf(JSON.parse(await readFile(logFile, "utf8")) as NetLog);
      expect(traffic.lookups).toEqual([]);
      expect(traffic.connections).toEqual([]);
      // Two callers have no switch (see chromium-args.ts): they may try, and fail inside Chromium
      // at the resolver rule. Anything else tried (the network time, the page's own image) is a leak.
      const unswitchable = new Set(["update.googleapis.com", "accounts.google.com"]);
      expect(traffic.attempts.map(hostOf).filter((host) => !unswitchable.has(host))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
