import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ticketForIssue } from "../../src/tickets/service.ts";
import { HOUR_MS } from "../../src/watch/clock.ts";
import { readReport } from "../../src/store/reports.ts";
import { memoryLogger } from "../fakes/logger.ts";
import { fakeTracker } from "../fakes/trackers.ts";
import { picks, setUpWorlds, world } from "./watch-world.ts";

/**
 * Tickets through real sweeps (offline analyst, SQLite store, a fake GitHub): the ticket made from a
 * swept issue carries its report's evidence; the sweep that sees it back after it was resolved
 * comments on the ticket and re-opens it, once; later sweeps add nothing.
 */

const TOKEN = "ghp_SWEEPtoken0123456789abcdefABCDEF01";
let tearDown: () => Promise<void>;

beforeAll(async () => {
  tearDown = await setUpWorlds();
});
afterAll(() => tearDown());

describe("tickets and sweeps", () => {
  it("a regression comments on the issue's ticket and re-opens it, once per regression; the token is never logged", async () => {
    const github = await fakeTracker("github", { closedAfterCreate: true });
    const log = memoryLogger();
    const tickets = { github: { token: TOKEN, repo: "acme/shop", apiUrl: github.url } };
    const w = await world("tickets", { tickets, logger: log.logger });
    try {
      const monitorId = await w.monitor({ name: "Shop", resolve_after_sweeps: 1, resolve_after_hours: 0 });
      const [a, b, c, d] = Array.from({ length: 4 }, (_, n) => picks.withProblem[n % picks.withProblem.length]!);
      w.clock.advance(HOUR_MS);
      await w.release([a!, b!, picks.clean[0]!], "s1");
      await w.sweeper.runSweep("acme", monitorId);
      const [issue] = await w.store.listIssues("acme", { monitor_id: monitorId });
      expect(issue?.state).toBe("new");

      const { link, created } = await ticketForIssue({ store: w.store, config: tickets, now: () => w.clock.now(), reportOf: (project, id) => readReport(w.blobs, project, id) }, issue!);
      expect(created).toBe(true);
      const body = String(github.requests[0]!.body!.body);
      expect(body).toContain("Key events:");
      expect(body).toContain(`session \`${issue!.examples[0]!.session_id}\``);

      w.clock.advance(HOUR_MS);
      await w.release([picks.clean[1]!], "s2");
      await w.sweeper.runSweep("acme", monitorId);
      expect((await w.store.getIssue("acme", issue!.id))!.state).toBe("resolved");
      expect(github.requests).toHaveLength(1);

      w.clock.advance(HOUR_MS);
      await w.release([c!], "s3");
      await w.sweeper.runSweep("acme", monitorId);
      expect((await w.store.getIssue("acme", issue!.id))!.state).toBe("regressed");
      const path = `/repos/acme/shop/issues/${link.external_id}`;
      expect(github.requests.slice(1).map((r) => [r.method, r.path])).toEqual([
        ["POST", `${path}/comments`],
        ["GET", path],
        ["PATCH", path],
      ]);
      expect(String(github.requests[1]!.body!.body)).toContain("**Regressed:**");

      // Seen again: ongoing, nothing more on the ticket.
      w.clock.advance(HOUR_MS);
      await w.release([d!], "s4");
      await w.sweeper.runSweep("acme", monitorId);
      expect((await w.store.getIssue("acme", issue!.id))!.state).toBe("ongoing");
      expect(github.requests).toHaveLength(4);
      expect(await w.store.getTicket("acme", issue!.id)).toMatchObject({ regressions_noted: 1 });
      expect(log.text()).toContain("regression told on the issue's ticket");
      expect(log.text()).not.toContain(TOKEN);
    } finally {
      await w.close();
      await github.close();
    }
  });

  it("a tracker that fails keeps the regression pending; the next sweep tells it, and the error in the log has no token", async () => {
    const github = await fakeTracker("github");
    const log = memoryLogger();
    const tickets = { github: { token: TOKEN, repo: "acme/shop", apiUrl: github.url } };
    const w = await world("tickets-retry", { tickets, logger: log.logger });
    try {
      const monitorId = await w.monitor({ name: "Shop", resolve_after_sweeps: 1, resolve_after_hours: 0 });
      const [a, b] = picks.withProblem;
      w.clock.advance(HOUR_MS);
      await w.release([a!, b!], "s1");
      await w.sweeper.runSweep("acme", monitorId);
      const [issue] = await w.store.listIssues("acme", { monitor_id: monitorId });
      await ticketForIssue({ store: w.store, config: tickets }, issue!);
      w.clock.advance(HOUR_MS);
      await w.release([picks.clean[0]!], "s2");
      await w.sweeper.runSweep("acme", monitorId);
      w.clock.advance(HOUR_MS);
      await w.release([a!], "s3");
      github.failNext(502, `upstream said Bearer ${TOKEN}`);
      await w.sweeper.runSweep("acme", monitorId);
      expect((await w.store.getTicket("acme", issue!.id))!.regression_pending).toBeDefined();
      expect(log.text()).toContain("regression not told on the ticket");
      expect(log.text()).toContain("HTTP 502");
      expect(log.text()).not.toContain(TOKEN);

      w.clock.advance(HOUR_MS);
      await w.release([picks.clean[1]!], "s4");
      await w.sweeper.runSweep("acme", monitorId);
      const comments = github.requests.filter((r) => r.method === "POST" && r.path.endsWith("/comments"));
      expect(comments).toHaveLength(2);
      expect(await w.store.getTicket("acme", issue!.id)).toMatchObject({ regressions_noted: 1 });
      expect((await w.store.getTicket("acme", issue!.id))!.regression_pending).toBeUndefined();
    } finally {
      await w.close();
      await github.close();
    }
  });
});
