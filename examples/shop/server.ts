/**
 * The demo shop "Fernhill Home": a small multi-page shop instrumented with posthog-js, served from
 * node_modules (no CDN). Bugs are switched on per visit (see `issues.ts`); the API reads them from
 * the visit's cookie.
 *
 * Run it by hand: `npx tsx examples/shop/server.ts [port] [captureUrl] [token]`, then open
 * `http://127.0.0.1:<port>/?issues=search-500`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Delays, cookie, readJson, sendHtml, sendJson, startDemoServer } from "../common/server.ts";
import type { DemoAppOptions, RunningDemoServer } from "../common/server.ts";
import { PRODUCTS, findProduct, recommendationsFor, searchProducts } from "./catalogue.ts";
import { ISSUES_COOKIE, SLOW_RESPONSE_MS, parseIssues } from "./issues.ts";
import type { ShopIssue } from "./issues.ts";
import { cartPage, cataloguePage, checkoutPage, confirmationPage, notFoundPage, productPage, productSummaries, searchPage, signInPage } from "./pages.ts";
import type { AnalyticsSettings } from "./pages.ts";

export type ShopOptions = DemoAppOptions;
export type RunningShop = RunningDemoServer;

const PUBLIC_DIR = fileURLToPath(new URL("./public/", import.meta.url));

interface Order {
  id: string;
  name: string;
  email: string;
  lines: Array<{ name: string; colour: string; quantity: number; price: number }>;
  total: number;
  delivery: string;
}

export async function startShop(options: ShopOptions): Promise<RunningShop> {
  const settings: AnalyticsSettings = { captureUrl: options.captureUrl.replace(/\/$/, ""), token: options.token };
  const orders = new Map<string, Order>();
  let nextOrder = 10_230;
  const delays = new Delays();
  const delay = delays.delay;

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const issues = parseIssues(cookie(req, ISSUES_COOKIE));
    const route = url.pathname;

    if (req.method === "GET") {
      if (route === "/") return sendHtml(res, cataloguePage(settings, categoryOf(url.searchParams.get("category"))));
      if (route === "/search") return sendHtml(res, searchPage(settings, url.searchParams.get("q") ?? ""));
      if (route.startsWith("/product/")) {
        const product = findProduct(decodeURIComponent(route.slice("/product/".length)));
        return product ? sendHtml(res, productPage(settings, product)) : sendHtml(res, notFoundPage(settings), 404);
      }
      if (route === "/cart") return sendHtml(res, cartPage(settings));
      if (route === "/checkout") return sendHtml(res, checkoutPage(settings, issues.has("checkout-hidden-required")));
      if (route === "/checkout/confirmation") return sendHtml(res, confirmationPage(settings, url.searchParams.get("order") ?? ""));
      if (route === "/sign-in") return sendHtml(res, signInPage(settings, safeNext(url.searchParams.get("next"))));

      if (route === "/api/products") {
        await slowIf(issues, "catalogue-slow", 180);
        const category = categoryOf(url.searchParams.get("category"));
        const products = category ? PRODUCTS.filter((p) => p.category === category) : PRODUCTS;
        return sendJson(res, 200, { products: productSummaries(products) });
      }
      if (route === "/api/search") {
        await slowIf(issues, "search-slow", 220);
        if (issues.has("search-500")) return sendJson(res, 500, { error: "upstream search index timeout" });
        const q = url.searchParams.get("q") ?? "";
        return sendJson(res, 200, { query: q, products: productSummaries(searchProducts(q)) });
      }
      if (route === "/api/recommendations") {
        await delay(250);
        if (issues.has("recommendations-503")) return sendJson(res, 503, { error: "recommendation service unavailable" });
        return sendJson(res, 200, { products: productSummaries(recommendationsFor(url.searchParams.get("product") ?? "")) });
      }
      if (route.startsWith("/api/orders/")) {
        await slowIf(issues, "confirmation-slow", 200);
        const order = orders.get(route.slice("/api/orders/".length));
        return order ? sendJson(res, 200, order) : sendJson(res, 404, { error: "order not found" });
      }
      return sendHtml(res, notFoundPage(settings), 404);
    }

    if (req.method === "POST" || req.method === "PATCH") {
      const body = await readJson(req);
      if (route === "/api/cart/sync") {
        await delay(120);
        if (issues.has("cart-sync-500")) return sendJson(res, 500, { error: "cart service write failed" });
        return sendJson(res, 200, { saved: true });
      }
      if (route === "/api/cart/line") {
        await delay(260);
        if (issues.has("cart-update-500")) return sendJson(res, 500, { error: "inventory lookup failed" });
        return sendJson(res, 200, { ok: true, quantity: Number(body.quantity ?? 1) });
      }
      if (route === "/api/coupon") {
        await delay(350);
        const code = String(body.code ?? "")
          .trim()
          .toUpperCase();
        if (!issues.has("coupon-rejected") && code === "WELCOME10") return sendJson(res, 200, { code, percentOff: 10 });
        // With the bug every code gets the same vague answer; without it, unknown codes get a clear one.
        const message = issues.has("coupon-rejected") ? "Invalid code" : `The code ${code || "(empty)"} doesn't exist. Codes are on your welcome email.`;
        return sendJson(res, 422, { error: message });
      }
      if (route === "/api/sign-in") {
        await delay(400);
        const email = String(body.email ?? "");
        if (issues.has("sign-in-vague-error") || !email.includes("@") || String(body.password ?? "").length < 6) {
          return sendJson(res, 400, { error: "Something went wrong. Please check your details." });
        }
        const name = email.split("@")[0]?.replace(/[._]/g, " ") ?? "friend";
        return sendJson(res, 200, { email, name });
      }
      if (route === "/api/orders") {
        await delay(700);
        const id = `FH-${nextOrder++}`;
        const order: Order = {
          id,
          name: String(body.name ?? ""),
          email: String(body.email ?? ""),
          lines: Array.isArray(body.lines) ? (body.lines as Order["lines"]) : [],
          total: Number(body.total ?? 0),
          delivery: String(body.delivery ?? "standard"),
        };
        orders.set(id, order);
        return sendJson(res, 201, { id });
      }
    }
    return sendJson(res, 404, { error: "not found" });

    async function slowIf(active: Set<ShopIssue>, issue: keyof typeof SLOW_RESPONSE_MS, normalMs: number): Promise<void> {
      await delay(active.has(issue) ? SLOW_RESPONSE_MS[issue] : normalMs);
    }
  }

  return startDemoServer({ port: options.port, host: options.host, publicDir: PUBLIC_DIR, delays }, handle);
}

function categoryOf(value: string | null): string | null {
  return value && ["Kitchen", "Textiles", "Home"].includes(value) ? value : null;
}

/** Only same-site paths, so the sign-in page cannot redirect elsewhere. */
function safeNext(value: string | null): string {
  return value && value.startsWith("/") && !value.startsWith("//") ? value : "/";
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [port, captureUrl, token] = process.argv.slice(2);
  const shop = await startShop({ port: Number(port ?? 8080), captureUrl: captureUrl ?? "http://127.0.0.1:8010", token: token ?? "phc_demo_shop" });
  console.log(`Fernhill Home at ${shop.url}`);
}
