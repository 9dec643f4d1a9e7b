/**
 * The demo SaaS app "Postbird": newsletter and campaign software, instrumented with posthog-js
 * served from node_modules (no CDN), like the demo shop. Bugs are switched on per visit (see
 * `issues.ts`); the API reads them from the visit's cookie.
 *
 * Run it by hand: `npx tsx examples/campaigns/server.ts [port] [captureUrl] [token]`, then open
 * `http://127.0.0.1:<port>/campaigns?issues=campaign-save-500`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Delays, cookie, readJson, sendHtml, sendJson, startDemoServer } from "../common/server.ts";
import type { DemoAppOptions, RunningDemoServer } from "../common/server.ts";
import { ISSUES_COOKIE, PREVIEW_SLOW_MS, STUCK_REQUEST_MS, parseIssues } from "./issues.ts";
import {
  billingPage,
  campaignEditorPage,
  campaignListPage,
  landingPage,
  newCampaignPage,
  notFoundPage,
  onboardingPage,
  ONBOARDING_STEPS,
  previewPage,
  reportsPage,
  signUpPage,
  teamPage,
  VISIT_COOKIE,
} from "./pages.ts";
import type { AnalyticsSettings } from "./pages.ts";
import { AUDIENCES, Workspace } from "./workspace.ts";
import type { Campaign } from "./workspace.ts";

export type CampaignsAppOptions = DemoAppOptions;
export type RunningCampaignsApp = RunningDemoServer;

const PUBLIC_DIR = fileURLToPath(new URL("./public/", import.meta.url));
/** Ordinary API latencies, in ms: an app on a decent connection. */
const LATENCY_MS = { list: 220, read: 150, write: 380, send: 650, preview: 450, report: 600, usage: 260 } as const;

export async function startCampaignsApp(options: CampaignsAppOptions): Promise<RunningCampaignsApp> {
  const settings: AnalyticsSettings = { captureUrl: options.captureUrl.replace(/\/$/, ""), token: options.token };
  const workspaces = new Map<string, Workspace>();
  const delays = new Delays();
  const delay = delays.delay;

  function workspaceOf(req: IncomingMessage): Workspace {
    const visit = cookie(req, VISIT_COOKIE) ?? "anonymous";
    let workspace = workspaces.get(visit);
    if (!workspace) {
      workspace = new Workspace();
      workspaces.set(visit, workspace);
    }
    return workspace;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const issues = parseIssues(cookie(req, ISSUES_COOKIE));
    const route = url.pathname;
    const workspace = workspaceOf(req);

    if (req.method === "GET") {
      if (route === "/") return sendHtml(res, landingPage(settings));
      if (route === "/signup") return sendHtml(res, signUpPage(settings));
      const step = /^\/onboarding\/([a-z]+)$/.exec(route)?.[1];
      if (step && (ONBOARDING_STEPS as readonly string[]).includes(step)) {
        return sendHtml(res, onboardingPage(settings, step as (typeof ONBOARDING_STEPS)[number], issues.has("onboarding-hidden-choice")));
      }
      if (route === "/campaigns") return sendHtml(res, campaignListPage(settings));
      if (route === "/campaigns/new") return sendHtml(res, newCampaignPage(settings));
      const editing = /^\/campaigns\/(\d+)(\/preview)?$/.exec(route);
      if (editing) {
        const campaign = workspace.campaigns.get(Number(editing[1]));
        if (!campaign) return sendHtml(res, notFoundPage(settings), 404);
        return sendHtml(res, editing[2] ? previewPage(settings, campaign) : campaignEditorPage(settings, campaign, issues.has("schedule-date-strict")));
      }
      if (route === "/reports") return sendHtml(res, reportsPage(settings));
      if (route === "/settings" || route === "/settings/billing") return sendHtml(res, billingPage(settings, workspace.plan));
      if (route === "/settings/team") return sendHtml(res, teamPage(settings, workspace.invites));

      if (route === "/api/campaigns") {
        await delay(LATENCY_MS.list);
        const status = url.searchParams.get("status") ?? "all";
        // The bug: the status filter's query times out; the unfiltered list still loads.
        if (issues.has("list-filter-500") && status !== "all") return sendJson(res, 500, { error: "campaign query timed out" });
        const campaigns = workspace.list({ status, query: url.searchParams.get("q") ?? "", mine: url.searchParams.get("mine") === "1" });
        return sendJson(res, 200, { campaigns: campaigns.map(summary) });
      }
      if (route === "/api/campaigns/stats") {
        await delay(LATENCY_MS.read);
        if (issues.has("stats-poll-500")) return sendJson(res, 500, { error: "stats warehouse unavailable" });
        const stats = Object.fromEntries([...workspace.campaigns.values()].filter((c) => c.status === "sent").map((c) => [c.id, { opens: c.opens, clicks: c.clicks, recipients: c.recipients }]));
        return sendJson(res, 200, { stats });
      }
      const previewing = /^\/api\/campaigns\/(\d+)\/preview$/.exec(route);
      if (previewing) {
        await delay(issues.has("preview-slow") ? PREVIEW_SLOW_MS : LATENCY_MS.preview);
        const campaign = workspace.campaigns.get(Number(previewing[1]));
        return campaign
          ? sendJson(res, 200, { subject: campaign.subject, preheader: campaign.preheader, body: campaign.body, from: "Postbird team" })
          : sendJson(res, 404, { error: "campaign not found" });
      }
      if (route === "/api/reports/engagement") {
        // The bug: the report request is never answered; the page keeps its spinner.
        await delay(issues.has("reports-stuck") ? STUCK_REQUEST_MS : LATENCY_MS.report);
        const sent = workspace.list({ status: "sent" });
        return sendJson(res, 200, { campaigns: sent.map((c) => ({ name: c.name, recipients: c.recipients, opens: c.opens, clicks: c.clicks })) });
      }
      if (route === "/api/billing/usage") {
        await delay(LATENCY_MS.usage);
        if (issues.has("usage-meter-503")) return sendJson(res, 503, { error: "usage service unavailable" });
        return sendJson(res, 200, { sent: 1495, limit: workspace.plan === "starter" ? 2500 : workspace.plan === "growth" ? 25_000 : 100_000 });
      }
      return sendHtml(res, notFoundPage(settings), 404);
    }

    if (req.method === "POST" || req.method === "PUT") {
      const body = await readJson(req);
      if (route === "/api/signup") {
        await delay(LATENCY_MS.write);
        const email = String(body.email ?? "");
        if (!email.includes("@") || String(body.password ?? "").length < 8) return sendJson(res, 400, { error: "Use a work email and a password of 8 characters or more." });
        return sendJson(res, 201, { email, name: String(body.name ?? "") });
      }
      if (route === "/api/onboarding") {
        await delay(LATENCY_MS.write);
        return sendJson(res, 200, { done: true });
      }
      if (route === "/api/campaigns") {
        await delay(LATENCY_MS.write);
        const audience = String(body.audience ?? "all");
        const created = workspace.add({
          name: String(body.name ?? "Untitled campaign").slice(0, 80) || "Untitled campaign",
          subject: String(body.subject ?? "").slice(0, 120),
          preheader: "",
          body: "Hi {first_name},\n\n",
          audience: audience in AUDIENCES ? audience : "all",
          status: "draft",
          owner: "you",
          when: null,
          recipients: 0,
          opens: 0,
          clicks: 0,
        });
        return sendJson(res, 201, { id: created.id });
      }
      const acting = /^\/api\/campaigns\/(\d+)(\/send|\/schedule)?$/.exec(route);
      if (acting) {
        const campaign = workspace.campaigns.get(Number(acting[1]));
        if (!campaign) return sendJson(res, 404, { error: "campaign not found" });
        if (!acting[2] && req.method === "PUT") {
          await delay(LATENCY_MS.write);
          if (issues.has("campaign-save-500")) return sendJson(res, 500, { error: "database write conflict" });
          campaign.subject = String(body.subject ?? campaign.subject).slice(0, 120);
          campaign.preheader = String(body.preheader ?? campaign.preheader).slice(0, 120);
          campaign.body = String(body.body ?? campaign.body).slice(0, 4000);
          return sendJson(res, 200, summary(campaign));
        }
        if (acting[2] === "/send") {
          await delay(LATENCY_MS.send);
          campaign.status = "sent";
          campaign.when = new Date().toISOString().slice(0, 16);
          campaign.recipients = AUDIENCES[campaign.audience]?.size ?? 0;
          return sendJson(res, 200, { id: campaign.id, recipients: campaign.recipients });
        }
        if (acting[2] === "/schedule") {
          await delay(LATENCY_MS.write);
          campaign.status = "scheduled";
          campaign.when = `${String(body.date ?? "")}T${String(body.time ?? "09:00")}`;
          return sendJson(res, 200, { id: campaign.id, when: campaign.when });
        }
      }
      if (route === "/api/billing/plan") {
        await delay(LATENCY_MS.write);
        workspace.plan = ["starter", "growth", "scale"].includes(String(body.plan)) ? String(body.plan) : workspace.plan;
        return sendJson(res, 200, { plan: workspace.plan });
      }
      if (route === "/api/invites") {
        await delay(LATENCY_MS.write);
        const email = String(body.email ?? "");
        if (!email.includes("@")) return sendJson(res, 400, { error: "Enter the email address of the person to invite." });
        workspace.invites.push({ email, role: String(body.role ?? "editor") });
        return sendJson(res, 201, { email });
      }
    }
    return sendJson(res, 404, { error: "not found" });
  }

  return startDemoServer({ port: options.port, host: options.host, publicDir: PUBLIC_DIR, delays }, handle);
}

function summary(c: Campaign): Record<string, unknown> {
  return { id: c.id, name: c.name, subject: c.subject, status: c.status, owner: c.owner, when: c.when, audience: AUDIENCES[c.audience]?.name ?? c.audience, recipients: c.recipients };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [port, captureUrl, token] = process.argv.slice(2);
  const app = await startCampaignsApp({ port: Number(port ?? 8081), captureUrl: captureUrl ?? "http://127.0.0.1:8010", token: token ?? "phc_postbird_demo" });
  console.log(`Postbird at ${app.url}`);
}
