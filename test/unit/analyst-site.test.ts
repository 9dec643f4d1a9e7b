import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { classifyCustomEvent, createSiteModel, learnSite, loadProductMap, OFFLINE_ANALYST_DEFAULTS, pageAreaOf, ProductMapError, withoutShopWords } from "../../src/analysts/index.ts";
import { routeTitle } from "../../src/analysts/titles.ts";
import { readConfig } from "../../src/config/env.ts";
import { createPipelineAnalyst } from "../../src/llm/model-analyst.ts";

const generic = createSiteModel({ vocabulary: withoutShopWords() });

describe("route templates from one URL", () => {
  it.each([
    ["/campaigns/new", "/campaigns/new"],
    ["/campaigns/new/", "/campaigns/new"],
    ["/campaigns/c_8f3k2a/edit", "/campaigns/:id/edit"],
    ["/campaigns/1234", "/campaigns/:id"],
    ["/campaigns/3f9a1c2e-1b2c-4d5e-8f90-1234567890ab", "/campaigns/:id"],
    ["/files/9f86d081884c7d65", "/files/:id"],
    ["/settings/billing", "/settings/billing"],
    ["/settings/team", "/settings/team"],
    ["/guides/how-to-brew-coffee", "/guides/:slug"],
    ["/api/v2/items", "/api/v2/items"],
    ["/sign-in", "/sign-in"],
  ])("%s → %s (no shop words)", (url, area) => {
    expect(pageAreaOf(url, generic).area).toBe(area);
  });

  it("folds shop slugs after item words with the default vocabulary", () => {
    expect(pageAreaOf("/product/terracotta-plant-pot").area).toBe("/product/:slug");
    expect(pageAreaOf("/product/oak-board").area).toBe("/product/:slug");
    // Without the shop words, one-hyphen slugs need the data (below); multi-word ones fold anyway.
    expect(pageAreaOf("/product/terracotta-plant-pot", generic).area).toBe("/product/:slug");
  });
});

describe("route templates learned from the sessions", () => {
  const campaigns = ["spring-sale", "summer", "autumn-launch", "q3-newsletter", "black-friday", "welcome-series"];
  const sessions = campaigns.map((slug, i) => [`/campaigns/${slug}`, "/campaigns/new", i % 2 === 0 ? "/settings/billing" : "/settings/team", `/products/oak-board-${i}`]);
  sessions.push(["/settings/profile", "/settings/security", "/settings/notifications"]);
  const site = learnSite(generic, sessions, OFFLINE_ANALYST_DEFAULTS.routes);

  it("a position with many one-off values is a parameter; words many sessions share stay words", () => {
    expect(pageAreaOf("/campaigns/spring-sale", site).area).toBe("/campaigns/:slug");
    expect(pageAreaOf("/campaigns/summer", site).area).toBe("/campaigns/:slug");
    expect(pageAreaOf("/campaigns/never-seen-before", site).area).toBe("/campaigns/:slug");
    expect(pageAreaOf("/campaigns/new", site).area).toBe("/campaigns/new");
  });

  it("a position of plain words is a menu, not a parameter", () => {
    for (const tab of ["billing", "team", "profile", "security", "notifications"]) expect(pageAreaOf(`/settings/${tab}`, site).area).toBe(`/settings/${tab}`);
  });

  it("ids are always ids, whatever the data", () => {
    expect(pageAreaOf("/settings/12345", site).area).toBe("/settings/:id");
  });

  it("without that data one-word slugs stay as they are (the per-URL rules are careful)", () => {
    expect(pageAreaOf("/campaigns/summer", generic).area).toBe("/campaigns/summer");
  });
});

describe("goals from custom events, by verb", () => {
  it.each([
    ["campaign_sent", "conversion"],
    ["campaignCreated", "conversion"],
    ["draft saved", "conversion"],
    ["Member Invited", "conversion"],
    ["post_published", "conversion"],
    ["form_submitted", "conversion"],
    ["onboarding_completed", "conversion"],
    ["order completed", "conversion"],
    ["purchase", "conversion"],
    ["signed_up", "conversion"],
    ["onboarding_step_completed", "step"],
    ["plan_selected", "step"],
    ["campaign_started", "step"],
    ["campaign_viewed", "neutral"],
    ["campaign_save_failed", "failure"],
  ] as const)("%s → %s (no shop words)", (name, expected) => {
    expect(classifyCustomEvent(name, {}, generic)).toBe(expected);
  });
});

describe("product map", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "product-map-"));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it("loads YAML: names pages, marks steps and goal pages, adds goal events", () => {
    const map = loadProductMap(
      write(
        "map.yaml",
        [
          "routes:",
          "  /campaigns/:id/edit: { name: Editing a campaign, step: true }",
          "  /welcome/*: { name: Onboarding, step: true }",
          "  /sent: { goal: true }",
          "goals: [newsletter_went_out]",
        ].join("\n"),
      ),
    );
    const site = createSiteModel({ vocabulary: withoutShopWords(), productMap: map });
    expect(pageAreaOf("/campaigns/summer/edit", site)).toMatchObject({ area: "/campaigns/:id/edit", phase: "task", name: "Editing a campaign" });
    expect(pageAreaOf("/welcome/team/size", site)).toMatchObject({ area: "/welcome/*", phase: "task" });
    expect(pageAreaOf("/sent", site).phase).toBe("confirmation");
    expect(classifyCustomEvent("newsletter_went_out", {}, site)).toBe("conversion");
    expect(classifyCustomEvent("newsletter_went_out", {}, generic)).toBe("neutral");
  });

  it("loads JSON", () => {
    const map = loadProductMap(write("map.json", JSON.stringify({ routes: { "/boards/:id": { name: "Viewing a board" } }, steps: ["card_moved"] })));
    expect(map.steps).toEqual(["card_moved"]);
  });

  it("is read from SESSION_SUMMARIES_PRODUCT_MAP by the offline analyst, and keys its cache", () => {
    const file = write("app.yaml", "routes:\n  /boards/:id: { name: Viewing a board }\n");
    const plain = createPipelineAnalyst(readConfig({}));
    const mapped = createPipelineAnalyst(readConfig({ SESSION_SUMMARIES_PRODUCT_MAP: file }));
    expect(mapped.cacheLabel).toMatch(/^heuristic@\w+\+map:[0-9a-f]{8}$/);
    expect(plain.cacheLabel).not.toContain("map:");
    expect(() => createPipelineAnalyst(readConfig({ SESSION_SUMMARIES_PRODUCT_MAP: write("broken.yaml", "goals: 3\n") }))).toThrow(/broken\.yaml: field goals/);
  });

  it("names the file and the field of a mistake", () => {
    const file = write("bad.yaml", "routes:\n  /campaigns/new: { step: yes please }\n");
    expect(() => loadProductMap(file)).toThrow(ProductMapError);
    expect(() => loadProductMap(file)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: field routes\\./campaigns/new\\.step`));
    expect(() => loadProductMap(write("bad-route.json", JSON.stringify({ routes: { "campaigns/new": {} } })))).toThrow(/field routes\.campaigns\/new: not a route pattern/);
    expect(() => loadProductMap(write("unknown.json", JSON.stringify({ goal: ["x"] })))).toThrow(/unknown\.json: field goal: unknown field/);
    expect(() => loadProductMap(write("unknown-route-field.json", JSON.stringify({ routes: { "/a": { title: "A" } } })))).toThrow(/field routes\.\/a\.title: unknown field/);
    expect(() => loadProductMap(path.join(dir, "missing.yaml"))).toThrow(/missing\.yaml: cannot read the product map/);
  });
});

describe("titles from routes", () => {
  it.each([
    ["/campaigns/new", "Creating a campaign"],
    ["/campaigns/:id/edit", "Editing a campaign"],
    ["/campaigns/:id", "Viewing a campaign"],
    ["/campaigns", "Browsing campaigns"],
    ["/campaigns/:id/recipients", "Campaign recipients"],
    ["/settings/billing", "Settings: billing"],
    ["/onboarding/plan", "Onboarding: plan"],
    ["/dashboard", "Dashboard"],
    ["/categories/:slug", "Viewing a category"],
  ])("%s → %s", (area, title) => {
    expect(routeTitle({ path: area, area, phase: "other" })).toBe(title);
  });

  it("an item's page the user typed on is being edited", () => {
    expect(routeTitle({ path: "/campaigns/1046", area: "/campaigns/:id", phase: "task" })).toBe("Editing a campaign");
  });
});
