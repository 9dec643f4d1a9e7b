import type { eventWithTime } from "@rrweb/types";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createSiteModel, DEFAULT_VOCABULARY, pageAreaOf, summarizeSessionOffline, SHOP_VOCABULARY, withoutShopWords, type OfflineAnalystOverrides } from "../../src/analysts/index.ts";
import { AnalyticsEventSchema } from "../../src/domain/events.ts";
import type { WindowedEvent } from "../../src/domain/recording.ts";
import type { RawKeyAction, RawSessionSummary } from "../../src/domain/summary.ts";
import { encodeSession } from "../../src/encode/index.ts";
import { computeRecordingMetadata } from "../../src/replay/metadata.ts";
import { analystFlags, readLabelledSessions, type AnalystFlag } from "../fixtures/labelled-sessions.ts";
import { SessionBuilder, h, type BuiltSession, type PageSpec, type RecordingLineOut } from "../fixtures/session-builder.ts";

/*
 * No shop-specific vocabulary is needed: the analyst with the e-commerce words removed from its
 * vocabulary (`withoutShopWords()`) keeps its flags and outcomes, on a synthetic product that is not
 * a shop (a docs editor with onboarding, a list, an editor and settings) and on the recorded
 * datasets (the shop's, and the SaaS app's when present).
 */

const GENERIC: OfflineAnalystOverrides = { site: createSiteModel({ vocabulary: withoutShopWords() }) };

async function* windowed(lines: readonly RecordingLineOut[]): AsyncGenerator<WindowedEvent> {
  for (const line of lines) for (const event of line.data) yield { windowId: line.window_id, event: event as eventWithTime };
}

async function analyse(
  built: BuiltSession,
  overrides: OfflineAnalystOverrides,
): Promise<{ summary: RawSessionSummary; actions: RawKeyAction[]; eventOf: (action: RawKeyAction) => string | undefined }> {
  const events = built.events.map((event) => AnalyticsEventSchema.parse(structuredClone(event)));
  const recording = await computeRecordingMetadata(windowed(built.recordingLines));
  const encoded = encodeSession({ sessionId: built.meta.session_id, events, replayStartMs: recording.startMs, replayEndMs: recording.endMs });
  const summary = summarizeSessionOffline({ encoded, events, recording }, overrides);
  return { summary, actions: summary.segments.flatMap((segment) => segment.key_actions), eventOf: (action) => encoded.idMap.get(action.event_id)?.event };
}

// ------------------------------------------------------------------------- a product that is not a shop

const ORIGIN = "https://app.inkwell.example";

function page(path: string, title: string, ...body: Array<ReturnType<typeof h>>): PageSpec {
  return { url: `${ORIGIN}${path}`, title, body: [h("nav", h("a", { href: "/docs" }, "Docs"), h("a", { href: "/settings/billing" }, "Billing")), h("main#main", ...body)] };
}

const onboardingProfile = page(
  "/onboarding/profile",
  "Welcome",
  h("h1", "Tell us about you"),
  h("input#full-name", { type: "text", name: "full-name" }),
  h("button#continue", { type: "button" }, "Continue"),
);
const onboardingPlan = page(
  "/onboarding/plan",
  "Choose a plan",
  h("h1", "Choose a plan"),
  h("div.pills", h("label#pill-free.pill", "Free"), h("label#pill-team.pill", "Team")),
  h("p#plan-error.hint", ""),
  h("button#continue", { type: "button" }, "Continue"),
);
const docsList = page("/docs", "Docs", h("h1", "Your docs"), h("a#new-doc.btn", { href: "/docs/new" }, "New doc"), h("a#doc-1", { href: "/docs/d_7f3k21" }, "Quarterly notes"));
const newDoc = page("/docs/new", "New doc", h("input#doc-title", { type: "text", name: "title" }), h("textarea#doc-body", { name: "body" }), h("button#publish", { type: "button" }, "Publish"));
const editDoc = page("/docs/d_7f3k21/edit", "Edit doc", h("input#doc-title", { type: "text", name: "title" }), h("button#save", { type: "button" }, "Save"));
const viewDoc = page("/docs/d_9q2m54", "Doc", h("h1", "Launch plan"), h("span#help-badge.badge", "?"));
const billing = page("/settings/billing", "Billing", h("select#billing-period", { name: "period" }, h("option", "Monthly"), h("option", "Yearly")), h("span#vat-info.badge", "VAT"));

function user(seed: number): SessionBuilder {
  return new SessionBuilder({ startMs: Date.UTC(2025, 2, 3, 10, 0, 0) + seed * 3_600_000, seed });
}

/** Signs up, chooses a plan, writes and publishes a doc, then looks at the list: every goal reached. */
function happyWriter(seed: number): BuiltSession {
  const s = user(seed);
  s.pageview(onboardingProfile).wait(6_000);
  s.type("#full-name", "Ada Lovelace").click("#continue");
  s.pageview(onboardingPlan, { navigation: "spa", replace: "main#main" }).wait(2_000);
  s.click("#pill-team").wait(1_500).click("#continue");
  s.custom("onboarding_completed", { plan: "team" });
  s.pageview(docsList).wait(2_500).click("#new-doc");
  s.pageview(newDoc).wait(1_500);
  s.type("#doc-title", "Launch plan").type("#doc-body", "First draft").blur().wait(800).click("#publish");
  s.custom("doc_published", { words: 2 });
  s.pageview(viewDoc).wait(4_000);
  s.pageview(docsList).wait(9_000);
  return s.build();
}

/** "Continue" on the plan step, again and again: the required choice is never made, the app says so only on screen. */
function stuckOnPlan(seed: number): BuiltSession {
  const s = user(seed);
  s.pageview(onboardingProfile).wait(6_000);
  s.type("#full-name", "Grace Hopper").click("#continue");
  s.pageview(onboardingPlan, { navigation: "spa", replace: "main#main" }).wait(2_500);
  for (let attempt = 0; attempt < 4; attempt += 1) {
    s.click("#continue");
    if (attempt === 0) s.setText("#plan-error", "Please complete all required fields.");
    s.wait(3_000);
  }
  s.wait(8_000);
  return s.build();
}

/** Saving fails twice with a toast; the user goes back to the list they came from and leaves. */
function saveFailsThenList(seed: number): BuiltSession {
  const s = user(seed);
  s.pageview(docsList).wait(6_000).click("#doc-1");
  s.pageview(editDoc).wait(1_500);
  s.type("#doc-title", "Quarterly notes v2").blur().wait(700);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    s.click("#save").custom("doc save failed", { reason: "conflict" }).wait(2_500);
  }
  s.pageview(docsList).wait(9_000);
  return s.build();
}

/** A `<select>` that worked (posthog-js still reports it dead), then a badge that really does nothing. */
function billingClicks(seed: number, deadBadge: boolean): BuiltSession {
  const s = user(seed);
  s.pageview(docsList).wait(6_000);
  s.pageview(billing).wait(2_000);
  s.select("#billing-period", "Yearly").deadClick();
  s.wait(2_000);
  if (deadBadge) s.deadClick("#vat-info");
  s.wait(3_000);
  s.pageview(docsList).wait(9_000);
  return s.build();
}

/** "Save" three times on a settings form, each answered with a "Saved" toast: the control working, not confusion. */
function savesThrice(seed: number, answered: boolean): BuiltSession {
  const s = user(seed);
  const profile = page("/settings/profile", "Profile", h("input#display-name", { type: "text", name: "display-name" }), h("button#save", { type: "button" }, "Save"), h("div#toasts"));
  s.pageview(profile).wait(6_000);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    s.type("#display-name", ` v${attempt}`).blur().wait(600).click("#save");
    if (answered) s.wait(300).append("#toasts", h(`div#toast-${attempt}.toast`, "Saved"));
    s.wait(2_500);
  }
  s.pageview(docsList).wait(9_000);
  return s.build();
}

/** A product that sends no events of its own: signing up ends on a "done" page. */
function signUpWithoutEvents(seed: number, reachesDone: boolean): BuiltSession {
  const s = user(seed);
  const signUp = page("/signup", "Sign up", h("input#email", { type: "email", name: "email" }), h("button#create", { type: "submit" }, "Create account"));
  s.pageview(signUp).wait(6_000);
  s.type("#email", "ada@example.com").click("#create").wait(1_200);
  if (reachesDone) s.pageview(page("/signup/done", "Welcome aboard", h("h1", "You're in"))).wait(9_000);
  else s.wait(12_000);
  return s.build();
}

for (const [label, overrides] of [
  ["without shop words", GENERIC],
  ["with the default vocabulary", {}],
] as const) {
  describe(`offline analyst on a product that is not a shop (${label})`, () => {
    it("the writer who reached every goal succeeded, with no issue and titles in the product's terms", async () => {
      const { summary, actions } = await analyse(happyWriter(1), overrides);
      expect(summary.session_outcome.success).toBe(true);
      expect(actions.filter((action) => action.confusion || action.abandonment || action.exception === "blocking")).toEqual([]);
      const titles = summary.segments.map((segment) => segment.name).join(" / ");
      expect(titles).toMatch(/Onboarding/);
      expect(titles).not.toMatch(/cart|checkout|order|product/i);
    });

    it('"Continue" again and again against an on-screen message, then gone: confusion and abandonment on that control', async () => {
      const { summary, actions, eventOf } = await analyse(stuckOnPlan(2), overrides);
      const confused = actions.filter((action) => action.confusion);
      expect(confused.length).toBeGreaterThan(0);
      expect(confused[0]!.description).toMatch(/^Tried "Continue" \d+ times on \/onboarding\/plan/);
      const abandoned = actions.filter((action) => action.abandonment);
      expect(abandoned).toHaveLength(1);
      expect(eventOf(abandoned[0]!)).toBe("$autocapture");
      expect(abandoned[0]!.description).toMatch(/last attempt: "Continue"/);
      expect(summary.session_outcome.success).toBe(false);
    });

    it("back to the list after repeated failed saves, then gone: abandonment, though the list was reached", async () => {
      const { summary, actions } = await analyse(saveFailsThenList(3), overrides);
      expect(actions.some((action) => action.abandonment && /\/docs\/:id\/edit/.test(action.description))).toBe(true);
      expect(actions.some((action) => action.confusion && /doc save failed/.test(action.description))).toBe(true);
      expect(summary.session_outcome.success).toBe(false);
    });

    it('"Save" used again and again with the page answering each time is not confusion', async () => {
      expect((await analyse(savesThrice(6, true), overrides)).actions.filter((action) => action.confusion)).toEqual([]);
      // The same clicks with nothing on screen to show for them are.
      expect((await analyse(savesThrice(6, false), overrides)).actions.filter((action) => action.confusion)).toHaveLength(1);
    });

    it("without goal events, reaching a goal page is the goal", async () => {
      expect((await analyse(signUpWithoutEvents(5, true), overrides)).summary.session_outcome.success).toBe(true);
      expect((await analyse(signUpWithoutEvents(5, false), overrides)).summary.session_outcome.success).toBe(false);
    });

    it("a dead click on a control that worked is not confusion; one that nothing answered is", async () => {
      const worked = await analyse(billingClicks(4, false), overrides);
      expect(worked.actions.filter((action) => action.confusion)).toEqual([]);
      // posthog-js did report it: read without looking at what answered it, it would be confusion.
      const unread = await analyse(billingClicks(4, false), { ...overrides, confusion: { deadClickAnswerWithinMs: 0 } });
      expect(unread.actions.filter((action) => action.confusion)).toHaveLength(1);
      const dead = await analyse(billingClicks(4, true), overrides);
      const confused = dead.actions.filter((action) => action.confusion);
      expect(confused).toHaveLength(1);
      expect(confused[0]!.description).toMatch(/^Clicked "[^"]+" on \/settings\/billing and nothing happened/);
    });
  });
}

describe("the generic vocabulary really has no shop words", () => {
  it("reads shop pages as generic ones, and no shop word is in it", () => {
    const site = createSiteModel({ vocabulary: withoutShopWords() });
    expect(pageAreaOf("https://shop.example.com/cart", site).phase).toBe("other");
    expect(pageAreaOf("https://shop.example.com/checkout", site).phase).toBe("other");
    expect(pageAreaOf("https://shop.example.com/cart").phase).toBe("cart");
    const generic = JSON.stringify(withoutShopWords());
    for (const word of ["cart", "checkout", "basket", "product", "catalogue"]) expect(generic).not.toMatch(new RegExp(`\\b${word}\\b`));
    expect(DEFAULT_VOCABULARY.cartWords).toEqual(SHOP_VOCABULARY.cartWords);
  });
});

// --------------------------------------------------------------------------- the recorded datasets

const DATASETS = [
  ["the shop dataset", fileURLToPath(new URL("../../examples/dataset", import.meta.url))],
  ["the SaaS dataset", fileURLToPath(new URL("../../examples/campaigns-dataset", import.meta.url))],
] as const;

for (const [name, DATASET] of DATASETS) {
  describe.skipIf(!existsSync(`${DATASET}/labels.json`))(`${name} without shop words`, () => {
    type Kind = AnalystFlag;
    const rows: Array<{ truth: Set<Kind>; flags: Record<"generic" | "default", Set<Kind>>; outcome: Record<"generic" | "default", boolean>; labelled: boolean }> = [];

    beforeAll(async () => {
      for await (const { label, encoded, events, recording } of readLabelledSessions(DATASET)) {
        const kinds = new Set(label.issues.map((issue) => issue.kind));
        const truth = new Set<Kind>();
        if (kinds.has("blocking_exception") || kinds.has("visible_api_failure")) truth.add("blocking");
        if (kinds.has("confusion") || kinds.has("dead_click")) truth.add("confusion");
        if (kinds.has("abandonment")) truth.add("abandonment");
        if (kinds.has("slow_page")) truth.add("slow");
        const run = (overrides: OfflineAnalystOverrides) => {
          const summary = summarizeSessionOffline({ encoded, events, recording }, overrides);
          return { flags: analystFlags(summary), success: summary.session_outcome.success };
        };
        const generic = run(GENERIC);
        const standard = run({});
        rows.push({ truth, flags: { generic: generic.flags, default: standard.flags }, outcome: { generic: generic.success, default: standard.success }, labelled: label.outcome === "success" });
      }
    }, 120_000);

    it.each(["blocking", "confusion", "abandonment", "slow"] as const)("%s: precision and recall ≥ 0.9 with the shop words removed", (kind) => {
      const flagged = rows.filter((row) => row.flags.generic.has(kind));
      const labelled = rows.filter((row) => row.truth.has(kind));
      const both = flagged.filter((row) => row.truth.has(kind)).length;
      expect(labelled.length).toBeGreaterThan(0);
      expect(both / Math.max(1, flagged.length)).toBeGreaterThanOrEqual(0.9);
      expect(both / labelled.length).toBeGreaterThanOrEqual(0.9);
    });

    it("session outcomes stay right (≥ 0.9) and match the full vocabulary's", () => {
      const right = rows.filter((row) => row.outcome.generic === row.labelled).length;
      expect(right / rows.length).toBeGreaterThanOrEqual(0.9);
      expect(rows.filter((row) => row.outcome.generic !== row.outcome.default)).toEqual([]);
    });
  });
}
