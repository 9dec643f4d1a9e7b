import { PRODUCTS, searchProducts } from "../catalogue.ts";
import { SLOW_RESPONSE_MS } from "../issues.ts";
import {
  browseCatalogue,
  buyFromProductPage,
  fillCheckout,
  lookAtProduct,
  openProduct,
  pickProduct,
  placeOrder,
  proceedToCheckout,
  reachIssueWindow,
  SEARCH_QUERIES,
  searchFromHeader,
  shopIntoCart,
  waitForConfirmation,
  waitForProductGrid,
  waitForSearchOutcome,
} from "./steps.ts";
import type { Persona, PersonaContext } from "../../../src/generate/persona.ts";

/** A page that sits behind a spinner for 12–14 s. Patient users wait; impatient ones leave. */
export const slowPageVisitor: Persona = {
  name: "slow-page-visitor",
  summary: "Meets a long spinner (catalogue, search results or order confirmation); some wait it out and buy, some leave after 6–9 s.",
  kinds: ["slow_page"],
  happy: false,
  /** The slow page; whether the user waits is drawn per session (the confirmation is always waited for). */
  variants: ["catalogue", "search", "confirmation"],
  pages: ["/product/*", "/", "/search", "/checkout/confirmation"],
  setup(variant, rng) {
    if (variant === "catalogue") {
      // Lands on a product from an ad, so the slow catalogue is not the first page of the session.
      return { issues: ["catalogue-slow"], landing: `/product/${rng.pick(PRODUCTS).slug}?utm_source=ads&utm_campaign=autumn` };
    }
    return { issues: [variant === "search" ? "search-slow" : "confirmation-slow"], landing: "/" };
  },
  async run(context) {
    const { user, rng, variant, record } = context;
    const patient = rng.chance(0.5);

    if (variant === "catalogue") {
      await user.waitFor("#add-to-cart");
      await user.read(3000, 5000);
      await reachIssueWindow(context);
      await user.click(".breadcrumb a[href='/']", { navigates: true });
      const at = await pageLoadedAt(context, "/");
      record.issue({
        kind: "slow_page",
        patternKey: "catalogue-slow-load",
        visible: true,
        at,
        description: `The catalogue's product list takes about ${SLOW_RESPONSE_MS["catalogue-slow"] / 1000} s to appear behind a "Loading products…" spinner.`,
        page: "/",
      });
      if (!patient) return leaveWhileWaiting(context);
      await waitForProductGrid(context, 30_000);
      await browseCatalogue(context);
      await openProduct(context, pickProduct(context));
      await lookAtProduct(context);
      await buyFromProductPage(context);
      record.outcome = "success";
      return;
    }

    if (variant === "search") {
      await waitForProductGrid(context);
      await user.read(3000, 5000);
      await reachIssueWindow(context);
      const query = rng.pick(SEARCH_QUERIES);
      const at = await searchFromHeader(context, query);
      record.issue({
        kind: "slow_page",
        patternKey: "search-slow-results",
        visible: true,
        at: await pageLoadedAt(context, "/search", at),
        description: `Search results take about ${SLOW_RESPONSE_MS["search-slow"] / 1000} s behind a "Searching…" spinner.`,
        page: "/search",
      });
      if (!patient) return leaveWhileWaiting(context);
      await waitForSearchOutcome(context, 30_000);
      await user.read(1500, 3000);
      await openProduct(context, rng.pick(searchProducts(query)));
      await lookAtProduct(context);
      await buyFromProductPage(context);
      record.outcome = "success";
      return;
    }

    // The order goes through; only its confirmation is slow.
    await shopIntoCart(context);
    await user.read(1000, 2000);
    await proceedToCheckout(context);
    await fillCheckout(context);
    await placeOrder(context);
    record.issue({
      kind: "slow_page",
      patternKey: "order-confirmation-slow",
      visible: true,
      at: await pageLoadedAt(context, "/checkout/confirmation"),
      description: `After "Place order" the confirmation page shows "Loading your order…" for about ${SLOW_RESPONSE_MS["confirmation-slow"] / 1000} s.`,
      page: "/checkout/confirmation",
    });
    await user.read(4000, 6000);
    await user.scrollBy(rng.between(100, 300));
    await waitForConfirmation(context, 30_000);
    await user.read(2500, 4000);
    record.outcome = "success";
  },
};

/** Browser time at which the page with this path started loading (its `$pageview` follows at once). */
async function pageLoadedAt(context: PersonaContext, path: string, after = 0): Promise<number> {
  const marks = await context.user.marks();
  const mark = [...marks].reverse().find((m) => m.type === "page" && m.path === path && m.t >= after);
  if (!mark) throw new Error(`no page load of ${path} in the page log`);
  return mark.t;
}

/** Watches the spinner for 6–9 s, fidgets, then closes the tab. */
async function leaveWhileWaiting(context: PersonaContext): Promise<void> {
  const { user, rng, record } = context;
  await user.read(2500, 3500);
  await user.scrollBy(rng.between(100, 250));
  await user.read(2000, 3000);
  await user.scrollBy(-rng.between(100, 250));
  await user.read(1500, 2500);
  record.outcome = "abandoned";
}
