/**
 * The demo SaaS app "Postbird": newsletter and campaign software, instrumented with posthog-js
 * served from node_modules (no CDN), like the demo shop. Bugs are switched on per visit (see
 * `issues.ts`); the API reads them from the visit's cookie.
 *
 * Run it by hand: `npx tsx examples/campaigns/server.ts [port] [captureUrl] [token]`, then open
 * `http://127.0.0.1:<port>/campaigns?issues=campaign-save-500`.
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
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
} from "./pages.ts";
import type { AnalyticsSettings } from "./pages.ts";
import { AUDIENCES, Workspace } from "./workspace.ts";
import type { Campaign } from "./workspace.ts";

export interface CampaignsAppOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Base URL of the capture server posthog-js sends to. */
  captureUrl: string;
  /** posthog project token. */
  token: string;
  host?: string;
}

export interface RunningCampaignsApp {
  url: string;
  close(): Promise<void>;
}

const PUBLIC_DIR = fileURLToPath(new URL("./public/", import.meta.url));
const POSTHOG_BUNDLE = createRequire(import.meta.url).resolve("posthog-js/dist/array.full.no-external.js");
const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};
const VISIT_COOKIE = "pb_visit";
/** Ordinary API latencies, in ms: an app on a decent connection. */
const LATENCY_MS = { list: 220, read: 150, write: 380, send: 650, preview: 450, report: 600, usage: 260 } as const;

export async function startCampaignsApp(options: CampaignsAppOptions): Promise<RunningCampaignsApp> {
  const settings: AnalyticsSettings = { captureUrl: options.captureUrl.replace(/\/$/, ""), token: options.token };
  const workspaces = new Map<string, Workspace>();
  const pendingTimers = new Set<NodeJS.Timeout>();
  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        resolve();
      }, ms);
      pendingTimers.add(timer);
    });

  function workspaceOf(req: IncomingMessage): Workspace {
    const visit = cookie(req, VISIT_COOKIE) ?? "anonymous";
    let workspace = workspaces.get(visit);
    if (!workspace) {
      workspace = new Workspace();
      workspaces.set(visit, workspace);
    }
    return workspace;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://postbird.local");
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
      if (route === "/vendor/posthog.js") return sendFile(res, POSTHOG_BUNDLE, "public, max-age=3600");
      if (route.startsWith("/static/")) return sendStatic(res, route.slice("/static/".length));
      if (route === "/favicon.ico") return send(res, 204, "");

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
        return campaign ? sendJson(res, 200, { subject: campaign.subject, preheader: campaign.preheader, body: campaign.body, from: "Postbird team" }) : sendJson(res, 404, { error: "campaign not found" });
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

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: async () => {
      for (const timer of pendingTimers) clearTimeout(timer);
      pendingTimers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function summary(c: Campaign): Record<string, unknown> {
  return { id: c.id, name: c.name, subject: c.subject, status: c.status, owner: c.owner, when: c.when, audience: AUDIENCES[c.audience]?.name ?? c.audience, recipients: c.recipients };
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error("request body too large");
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "cache-control": "no-store", ...headers });
  res.end(body);
}

function sendHtml(res: ServerResponse, html: string, status = 200): void {
  send(res, status, html, { "content-type": "text/html; charset=utf-8" });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), { "content-type": "application/json" });
}

async function sendFile(res: ServerResponse, file: string, cacheControl = "no-store"): Promise<void> {
  const type = CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream";
  send(res, 200, await readFile(file), { "content-type": type, "cache-control": cacheControl });
}

async function sendStatic(res: ServerResponse, relative: string): Promise<void> {
  const file = path.resolve(PUBLIC_DIR, relative);
  if (!file.startsWith(PUBLIC_DIR) || !(path.extname(file) in CONTENT_TYPES)) return sendJson(res, 404, { error: "not found" });
  try {
    await sendFile(res, file, "public, max-age=600");
  } catch {
    sendJson(res, 404, { error: "not found" });
  }
}


if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [port, captureUrl, token] = process.argv.slice(2);
  const app = await startCampaignsApp({ port: Number(port ?? 8081), captureUrl: captureUrl ?? "http://127.0.0.1:8010", token: token ?? "phc_postbird_demo" });
  console.log(`Postbird at ${app.url}`);
}
