import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCampaignsApp } from "../../examples/campaigns/server.ts";
import type { RunningCampaignsApp } from "../../examples/campaigns/server.ts";
import { DEMO_APPS, loadDemoApp } from "../../src/cli/generate.ts";
import { ConfigError } from "../../src/domain/errors.ts";
import { Rng } from "../../src/generate/random.ts";

/* The demo apps `generate --app` chooses between, and the campaigns app's server. */

describe("generate: demo apps", () => {
  it("loads each app by name and refuses an unknown one, listing the apps", async () => {
    for (const name of Object.keys(DEMO_APPS)) expect((await loadDemoApp(name)).name).toBe(name);
    const refusal = loadDemoApp("blog");
    await expect(refusal).rejects.toBeInstanceOf(ConfigError);
    await expect(loadDemoApp("blog")).rejects.toThrow(/unknown app "blog"; known: shop, campaigns/);
  });

  it.each(Object.keys(DEMO_APPS))("%s: every persona variant switches on only bugs its app knows, and lands on a path of the app", async (name) => {
    const app = await loadDemoApp(name);
    for (const persona of app.personas) {
      for (const variant of persona.variants) {
        const setup = persona.setup(variant, Rng.derive(1, persona.name, variant));
        const url = new URL(app.visitUrl("http://127.0.0.1:9", setup.landing, setup.issues));
        // The app drops names it does not know: a persona's bug must survive into the visit's URL.
        expect(url.searchParams.get("issues")?.split(",") ?? [], `${persona.name}:${variant}`).toEqual(setup.issues);
        expect(setup.landing.startsWith("/"), `${persona.name}:${variant}`).toBe(true);
      }
    }
  });
});

describe("examples/campaigns server", () => {
  let app: RunningCampaignsApp;
  beforeAll(async () => {
    app = await startCampaignsApp({ captureUrl: "http://127.0.0.1:9", token: "phc_test" });
  });
  afterAll(async () => {
    await app.close();
  });

  const get = (path: string, cookie = "pb_visit=t1"): Promise<Response> => fetch(`${app.url}${path}`, { headers: { cookie } });

  it("serves posthog-js from node_modules and points it at the capture server", async () => {
    const page = await (await get("/campaigns")).text();
    expect(page).toContain('<script src="/vendor/posthog.js"></script>');
    expect(page).toContain('"apiHost":"http://127.0.0.1:9"');
    const bundle = await get("/vendor/posthog.js");
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(50_000);
  });

  it("serves the scripts both apps share under /common/, and nothing outside that folder", async () => {
    const page = await (await get("/campaigns")).text();
    expect(page).toContain('src="/common/visit.js"');
    const visit = await get("/common/visit.js");
    expect(visit.status).toBe(200);
    expect(await visit.text()).toContain("visitLog");
    for (const escape of ["/common/../server.ts", "/common/%2e%2e/server.ts", "/common/..%2fserver.ts", "/static/../../common/server.ts"]) {
      expect((await get(escape)).status, escape).toBe(404);
    }
  });

  it("tells /campaigns/new from /campaigns/<id>", async () => {
    expect(await (await get("/campaigns/new")).text()).toContain('id="new-form"');
    expect(await (await get("/campaigns/1042")).text()).toContain('id="editor-form"');
    expect((await get("/campaigns/99999")).status).toBe(404);
  });

  it("fails the status filter only for a visit that has the bug, and keeps each visit's drafts apart", async () => {
    expect((await get("/api/campaigns?status=draft", "pb_visit=t2; pb_issues=list-filter-500")).status).toBe(500);
    expect((await get("/api/campaigns?status=all", "pb_visit=t2; pb_issues=list-filter-500")).status).toBe(200);
    expect((await get("/api/campaigns?status=draft", "pb_visit=t2")).status).toBe(200);
    const created = await fetch(`${app.url}/api/campaigns`, { method: "POST", headers: { cookie: "pb_visit=t3", "content-type": "application/json" }, body: JSON.stringify({ name: "Only here" }) });
    expect(created.status).toBe(201);
    const names = async (visit: string): Promise<string[]> =>
      ((await (await get("/api/campaigns", `pb_visit=${visit}`)).json()) as { campaigns: Array<{ name: string }> }).campaigns.map((c) => c.name);
    expect(await names("t3")).toContain("Only here");
    expect(await names("t4")).not.toContain("Only here");
  });
});
