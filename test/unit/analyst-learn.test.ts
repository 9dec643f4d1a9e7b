import { describe, expect, it } from "vitest";
import {
  createSiteModel,
  learnSiteFromSessions,
  OFFLINE_ANALYST_DEFAULTS,
  pageAreaOf,
  summarizeSessionOffline,
  withLearnedSite,
  withoutShopWords,
  type LearnedSiteData,
  type SiteLearningOptions,
} from "../../src/analysts/index.ts";
import { isForwardNavigation } from "../../src/analysts/areas.ts";
import { AnalyticsEventSchema, type AnalyticsEvent } from "../../src/domain/events.ts";
import { encodeSession } from "../../src/encode/index.ts";

/*
 * Learning the site across sessions (`learn.ts`): a product that is not a shop, whose sessions go
 * list → editor → (sent) → a "sent" page, and some leave the editor without sending.
 */

const ORIGIN = "https://app.letterbox.example";
const SITE = createSiteModel({ vocabulary: withoutShopWords() });
const LEARNING = OFFLINE_ANALYST_DEFAULTS.learning;
const ROUTES = OFFLINE_ANALYST_DEFAULTS.routes;

type Step = { page: string } | { event: string; properties?: Record<string, unknown> };

function session(id: string, steps: Step[]): AnalyticsEvent[] {
  let url = ORIGIN;
  return steps.map((step, index) => {
    const timestamp = new Date(Date.UTC(2026, 0, 1, 10, 0, index * 5)).toISOString();
    if ("page" in step) url = `${ORIGIN}${step.page}`;
    const event = "page" in step ? "$pageview" : step.event;
    return AnalyticsEventSchema.parse({
      uuid: `${id}-${index}`,
      event,
      timestamp,
      properties: { $current_url: url, $session_id: id, ...("page" in step ? {} : (step.properties ?? {})) },
    });
  });
}

/** Sent a letter: list, editor, the goal event, the sent page. */
function sender(n: number): AnalyticsEvent[] {
  return session(`s${n}`, [{ page: "/letters" }, { page: `/letters/${1000 + n}` }, { event: "letter_sent" }, { page: `/letters/${1000 + n}/sent` }]);
}

/** Left the editor without sending, after an error. */
function leaver(n: number): AnalyticsEvent[] {
  return session(`l${n}`, [{ page: "/letters" }, { page: `/letters/${2000 + n}` }, { event: "$exception", properties: { $exception_list: [{ type: "TypeError", value: "x is undefined" }] } }]);
}

function learn(sessions: AnalyticsEvent[][], overrides: Partial<SiteLearningOptions> = {}): LearnedSiteData {
  return learnSiteFromSessions(sessions, SITE, { ...LEARNING, ...overrides }, ROUTES);
}

const SAMPLE = [...[1, 2, 3, 4, 5, 6].map(sender), ...[1, 2, 3, 4].map(leaver)];

describe("learning the site across sessions", () => {
  it("learns route templates, the usual order of pages and the page where a goal leaves users", () => {
    const learned = learn(SAMPLE);
    expect(learned.sessions).toBe(10);
    expect(learned.routes.map((route) => route.prefix)).toContain("/letters");
    const order = learned.pageOrder.map((entry) => entry.area);
    expect(order.indexOf("/letters")).toBeLessThan(order.indexOf("/letters/:id"));
    expect(order.indexOf("/letters/:id")).toBeLessThan(order.indexOf("/letters/:id/sent"));
    expect(learned.goalPages.map((entry) => entry.area)).toEqual(["/letters/:id/sent"]);
  });

  it("is the same for the same sessions in any order (so its hash is too)", () => {
    expect(JSON.stringify(learn([...SAMPLE].reverse()))).toBe(JSON.stringify(learn(SAMPLE)));
  });

  it("is conservative: no goal page from fewer sessions than the threshold", () => {
    const few = [sender(1), sender(2), leaver(1)];
    expect(learn(few).goalPages).toEqual([]);
    expect(learn(few, { goalMinSessions: 2 }).goalPages.map((entry) => entry.area)).toEqual(["/letters/:id/sent"]);
  });

  it("never takes the editor where the goal is sent for a goal page when many sessions leave it without one", () => {
    // Every sender ends on the editor (no page after the goal), but leavers visit it too.
    const endOnEditor = [1, 2, 3, 4, 5].map((n) => session(`e${n}`, [{ page: "/letters" }, { page: `/letters/${3000 + n}` }, { event: "letter_sent" }]));
    const quietLeavers = [1, 2, 3].map((n) => session(`q${n}`, [{ page: "/letters" }, { page: `/letters/${4000 + n}` }]));
    expect(learn([...endOnEditor, ...quietLeavers]).goalPages).toEqual([]);
  });

  it("never takes a page sessions visit anyway for a goal page", () => {
    // A dashboard every session ends on after sending is still not a goal.
    // A dashboard senders end on is still no goal when sessions that send nothing see it too.
    const dashboardEnds = [1, 2, 3, 4, 5].map((n) => session(`d${n}`, [{ page: `/letters/${5000 + n}` }, { event: "letter_sent" }, { page: "/dashboard" }]));
    const browsers = [1, 2, 3].map((n) => session(`b${n}`, [{ page: "/dashboard" }, { page: "/reports" }]));
    expect(learn(dashboardEnds).goalPages.map((entry) => entry.area)).toEqual(["/dashboard"]);
    expect(learn([...dashboardEnds, ...browsers]).goalPages).toEqual([]);
  });
});

describe("what the offline analyst does with a learned site", () => {
  const site = withLearnedSite(SITE, learn(SAMPLE));

  it("marks pages with their learned place and learned goal", () => {
    expect(pageAreaOf(`${ORIGIN}/letters/77/sent`, site)).toMatchObject({ area: "/letters/:id/sent", learnedGoal: true });
    expect(pageAreaOf(`${ORIGIN}/letters/77`, SITE).learnedGoal).toBeUndefined();
    expect(pageAreaOf(`${ORIGIN}/letters`, site).order).toBe(0);
  });

  it("tells a step back from a step forward by the usual order, where page roles cannot", () => {
    const list = pageAreaOf(`${ORIGIN}/letters`, site);
    const editor = pageAreaOf(`${ORIGIN}/letters/77`, site);
    const gap = LEARNING.minOrderGap;
    expect(isForwardNavigation(editor, list, gap)).toBe(false);
    expect(isForwardNavigation(list, editor, gap)).toBe(true);
    // Without a learned order, any move between two pages of no known role is onward.
    expect(isForwardNavigation(pageAreaOf(`${ORIGIN}/letters/77`, SITE), pageAreaOf(`${ORIGIN}/letters`, SITE), gap)).toBe(true);
  });

  function outcome(events: AnalyticsEvent[], learned: boolean): boolean {
    const startMs = Date.parse(events[0]!.timestamp);
    const endMs = Date.parse(events.at(-1)!.timestamp) + 5_000;
    const encoded = encodeSession({ sessionId: "x", events, replayStartMs: startMs, replayEndMs: endMs });
    return summarizeSessionOffline({ encoded, events }, { site: learned ? site : SITE }).session_outcome.success;
  }

  it("takes reaching a learned goal page for a goal only in a session that sent no goal event", () => {
    const silent = session("silent", [{ page: "/letters" }, { page: "/letters/9001" }, { event: "letter_previewed" }, { page: "/letters/9001/sent" }]);
    expect(outcome(silent, false)).toBe(false);
    expect(outcome(silent, true)).toBe(true);
  });
});
