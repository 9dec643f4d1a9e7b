import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MonitorDefinitionSchema, type TrackedIssue } from "../../src/domain/monitor.ts";
import { ManualClock } from "../../src/watch/clock.ts";
import { openWatchStoreAt } from "../../src/watch/store/open.ts";
import type { WatchStore } from "../../src/watch/store/types.ts";
import { fakeTracker, type FakeTracker } from "../fakes/trackers.ts";
import { SAMPLE, startTestServer, tempDir, type TestServer } from "./server-client.ts";

/**
 * `POST /api/issues/:id/ticket` over real HTTP, a real SQLite watch store and a fake GitHub: one
 * ticket per issue (201, then 200 with the same link; concurrent requests make one), scoped to the
 * key's project, the token never in an answer.
 */

const KEY_A = "ticket-alpha-key-00001";
const KEY_B = "ticket-beta-key-000002";
const TOKEN = "ghp_APItoken0123456789abcdefABCDEF0123";

let dir: { dir: string; remove(): Promise<void> };
let store: WatchStore;
let github: FakeTracker;
let server: TestServer;
let issueA: TrackedIssue;
let issueB: TrackedIssue;

async function seed(project: string): Promise<TrackedIssue> {
  const monitor = await store.createMonitor(project, MonitorDefinitionSchema.parse({ name: "Checkout" }), new Date("2026-11-20T10:00:00.000Z"));
  return store.saveIssue({
    id: 0,
    project,
    monitor_id: monitor.id,
    fingerprint: `error|/checkout|${project}`,
    kind: "error",
    title: `Payment fails (${project})`,
    description: "Users pressing Pay see an error.",
    severity: "high",
    state: "new",
    first_seen: "2026-11-18T09:00:00.000Z",
    last_seen: "2026-11-20T10:00:00.000Z",
    sweeps_unseen: 0,
    sessions_total: 3,
    users_total: 2,
    examples: [{ session_id: "s-1", report_id: "report-sweep-1", pattern_id: 1, example_index: 0, timestamp: "2026-11-19T10:00:00.000Z", description: "Clicked Pay, saw an error" }],
  });
}

beforeAll(async () => {
  dir = await tempDir("server-tickets-");
  store = await openWatchStoreAt({ kind: "sqlite", file: path.join(dir.dir, "watch.sqlite") });
  github = await fakeTracker("github");
  github.delayMs = 100;
  server = await startTestServer({
    dataDir: dir.dir,
    apiKeys: `${KEY_A}=alpha,${KEY_B}=beta`,
    dataset: SAMPLE,
    server: { watch: { store, clock: new ManualClock("2026-11-20T12:00:00.000Z"), tickets: { github: { token: TOKEN, repo: "acme/shop", apiUrl: github.url } } } },
  });
  issueA = await seed("alpha");
  issueB = await seed("beta");
});

afterAll(async () => {
  await server?.close();
  await store?.close();
  await github?.close();
  await dir?.remove();
});

describe("POST /api/issues/:id/ticket", () => {
  it("another project's issue is a 404 and reaches no tracker", async () => {
    const response = await server.json("POST", `/api/issues/${issueA.id}/ticket`, { key: KEY_B, body: {} });
    expect(response.status).toBe(404);
    expect(github.requests).toHaveLength(0);
    expect(await store.getTicket("alpha", issueA.id)).toBeUndefined();
  });

  it("creates one ticket (201), then answers the same link (200), also to requests at once", async () => {
    const [first, second] = await Promise.all([
      server.json("POST", `/api/issues/${issueA.id}/ticket`, { key: KEY_A, body: { to: "github" } }),
      server.json("POST", `/api/issues/${issueA.id}/ticket`, { key: KEY_A }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 201]);
    expect(first.body.ticket).toEqual(second.body.ticket);
    expect(first.body.ticket).toMatchObject({ issue_id: issueA.id, project: "alpha", tracker: "github", status: "created", key: "#1", url: "https://github.com/acme/shop/issues/1" });
    const again = await server.json("POST", `/api/issues/${issueA.id}/ticket`, { key: KEY_A, body: {} });
    expect(again).toEqual({ status: 200, body: { ticket: first.body.ticket, created: false } });
    expect(github.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    for (const response of [first, second, again]) expect(JSON.stringify(response.body)).not.toContain(TOKEN);
  });

  it("the other project gets its own ticket for its own issue", async () => {
    const response = await server.json("POST", `/api/issues/${issueB.id}/ticket`, { key: KEY_B, body: {} });
    expect(response.status).toBe(201);
    expect(response.body.ticket).toMatchObject({ project: "beta", issue_id: issueB.id, key: "#2" });
  });

  it("refuses an unknown tracker or field (400) and a tracker not set up (400 naming its settings)", async () => {
    const unknown = await server.json("POST", `/api/issues/${issueB.id}/ticket`, { key: KEY_B, body: { to: "jira" } });
    expect(unknown.status).toBe(400);
    const extra = await server.json("POST", `/api/issues/${issueB.id}/ticket`, { key: KEY_B, body: { colour: "red" } });
    expect(extra.status).toBe(400);
    const fresh = await seed("beta");
    const unset = await server.json("POST", `/api/issues/${fresh.id}/ticket`, { key: KEY_B, body: { to: "linear" } });
    expect(unset.status).toBe(400);
    expect(unset.body.error.code).toBe("tracker_not_configured");
    expect(unset.body.error.message).toContain("SESSION_SUMMARIES_LINEAR_API_KEY");
    expect(await store.getTicket("beta", fresh.id)).toBeUndefined();
  });
});
