/**
 * Steps of a visit to the demo shop (examples/shop), shared by the personas: browse, open a product,
 * add to cart, search, check out. Each step acts through the `Visitor`, so it looks like a person.
 */
import { PRODUCTS } from "../catalogue.ts";
import type { Product } from "../catalogue.ts";
import type { PersonaContext } from "../../../src/generate/persona.ts";

export { ISSUE_NOT_BEFORE_MS, reachIssueWindow } from "../../../src/generate/steps.ts";

export const SEARCH_QUERIES = ["mug", "linen", "kettle", "candle", "wool throw", "pour over", "storage jar", "serving bowl", "tote bag", "cushion", "lamp"];

export function pickProduct(context: PersonaContext, filter: (p: Product) => boolean = () => true, exclude: string[] = []): Product {
  const candidates = PRODUCTS.filter((p) => filter(p) && !exclude.includes(p.slug));
  return context.rng.pick(candidates.length > 0 ? candidates : PRODUCTS);
}

export async function waitForProductGrid(context: PersonaContext, timeoutMs = 25_000): Promise<void> {
  await context.user.waitFor("#product-grid .product-card", timeoutMs);
}

/** Looks over the catalogue: reads, scrolls down a bit, points at a card or two. */
export async function browseCatalogue(context: PersonaContext): Promise<void> {
  const { user, rng, short } = context;
  await waitForProductGrid(context);
  await user.read(1500, 3500);
  await user.scrollBy(rng.between(250, 650));
  await user.read(1000, 2500);
  const cards = (await user.page.$$("#product-grid .product-card")).length;
  if (!short && cards > 0 && rng.chance(0.6)) {
    await user.hover(`#product-grid .product-card:nth-child(${rng.int(1, Math.min(cards, 8))})`, [400, 1200]);
    if (rng.chance(0.5)) await user.scrollBy(rng.between(200, 500));
  }
}

/** Opens a product from the cards on the current page. */
export async function openProduct(context: PersonaContext, product: Product): Promise<void> {
  await context.user.click(`a.product-card[href="/product/${product.slug}"]`, { navigates: true, hoverMs: [250, 700] });
  await context.user.waitFor("#add-to-cart");
}

/** Reads a product page: the description, maybe the reviews, maybe another colour. */
export async function lookAtProduct(context: PersonaContext, options: { pickColour?: boolean } = {}): Promise<void> {
  const { user, rng, short } = context;
  await user.read(1500, 3500);
  const swatches = await user.page.$$(".swatch");
  if ((options.pickColour ?? rng.chance(0.5)) && swatches.length > 1) {
    await user.click(`.swatch:nth-child(${rng.int(2, swatches.length)})`);
    await user.read(700, 1500);
  }
  if (!short && rng.chance(0.5)) {
    await user.scrollBy(rng.between(300, 600));
    await user.read(1500, 3000);
    await user.scrollBy(-rng.between(300, 600));
  }
}

/** Clicks "Add to cart"; returns the click's browser time. */
export async function clickAddToCart(context: PersonaContext): Promise<number> {
  const at = await context.user.click("#add-to-cart");
  await context.user.pause(600, 1200);
  return at;
}

export async function addToCart(context: PersonaContext, options: { quantity?: number } = {}): Promise<number> {
  const { user } = context;
  for (let i = 1; i < (options.quantity ?? 1); i += 1) {
    await user.click("#qty-plus");
    await user.pause(250, 600);
  }
  const at = await clickAddToCart(context);
  await user.waitFor(".toast.visible", 5_000).catch(() => undefined);
  await user.read(800, 1800);
  return at;
}

export async function goHome(context: PersonaContext): Promise<void> {
  await context.user.click("a.logo", { navigates: true });
}

export async function openCategory(context: PersonaContext, category: "Kitchen" | "Textiles" | "Home"): Promise<void> {
  await context.user.click(`.main-nav a[href="/?category=${category}"]`, { navigates: true });
}

export async function openCart(context: PersonaContext): Promise<void> {
  await context.user.click("#cart-link", { navigates: true });
  await context.user.waitFor("#cart-lines > *");
}

/** The usual way in: browse the catalogue, open a product, look at it, add it to the cart, open the cart. */
export async function shopIntoCart(context: PersonaContext): Promise<void> {
  await browseCatalogue(context);
  await openProduct(context, pickProduct(context));
  await lookAtProduct(context);
  await addToCart(context);
  await openCart(context);
}

export async function proceedToCheckout(context: PersonaContext): Promise<void> {
  await context.user.click("#checkout-button", { navigates: true });
  await context.user.waitFor("#checkout-form");
}

/** Types a query in the header search and submits it; returns the submit's browser time. */
export async function searchFromHeader(context: PersonaContext, query: string): Promise<number> {
  const { user, rng } = context;
  await user.type("#header-search-input", query);
  if (rng.chance(0.6)) return user.pressEnter({ navigates: true });
  await user.pause(200, 500);
  // The form submits in the same dispatch as the click.
  return user.click(".header-search button", { navigates: true });
}

export type SearchOutcome = "results" | "empty" | "error";

/** Waits until the search page shows results, "no results", or the error banner. */
export async function waitForSearchOutcome(context: PersonaContext, timeoutMs = 25_000): Promise<SearchOutcome> {
  const handle = await context.user.page.waitForFunction(
    `(() => {
      const status = document.getElementById("search-status");
      if (!status) return false;
      if (status.classList.contains("banner-error")) return "error";
      if (document.querySelector("#search-results .product-card")) return "results";
      if (!status.querySelector(".spinner") && /No products/.test(status.textContent || "")) return "empty";
      return false;
    })()`,
    { timeout: timeoutMs, polling: 100 },
  );
  return (await handle.jsonValue()) as SearchOutcome;
}

export interface CheckoutFillOptions {
  /** Fill the optional phone field at the bottom too (people rarely scroll that far). */
  phone?: boolean;
  express?: boolean;
}

/** Fills the checkout form top to bottom like a person. */
export async function fillCheckout(context: PersonaContext, options: CheckoutFillOptions = {}): Promise<void> {
  const { user, rng, customer, short } = context;
  await user.read(1000, 2500);
  if (!(await fieldHasValue(context, "#email"))) await user.type("#email", customer.email);
  await user.pause(300, 800);
  await user.type("#full-name", `${customer.firstName} ${customer.lastName}`);
  await user.pause(200, 600);
  await user.type("#address", customer.address);
  await user.type("#city", customer.city, { typoRate: 0.01 });
  await user.type("#postcode", customer.postcode, { typoRate: 0 });
  if (customer.country !== "United States") await user.choose("#country", customer.country);
  await user.pause(400, 900);
  await user.type("#card-number", customer.card, { typoRate: 0 });
  await user.type("#card-expiry", customer.expiry, { typoRate: 0 });
  await user.type("#card-cvc", customer.cvc, { typoRate: 0 });
  if (options.express ?? (!short && rng.chance(0.25))) {
    await user.click('input[name="delivery"][value="express"]');
    await user.pause(300, 700);
  }
  if (options.phone) {
    await user.type("#phone", customer.phone, { typoRate: 0 });
  }
  await user.pause(500, 1200);
}

async function fieldHasValue(context: PersonaContext, selector: string): Promise<boolean> {
  const value = await context.user.evaluate(`(document.querySelector(${JSON.stringify(selector)}) || {}).value || ""`);
  return String(value).length > 0;
}

/** Clicks "Place order"; the order API answers and the page moves to the confirmation. */
export async function placeOrder(context: PersonaContext): Promise<number> {
  return context.user.click("#place-order", { navigates: true });
}

export async function waitForConfirmation(context: PersonaContext, timeoutMs = 25_000): Promise<void> {
  await context.user.waitFor("#continue-shopping", timeoutMs);
}

/** A full purchase from the product page onwards: add, cart, checkout, confirmation. */
export async function buyFromProductPage(context: PersonaContext, options: CheckoutFillOptions = {}): Promise<void> {
  await addToCart(context);
  await openCart(context);
  await context.user.read(1200, 2500);
  await proceedToCheckout(context);
  await fillCheckout(context, options);
  await placeOrder(context);
  await waitForConfirmation(context);
  await context.user.read(2000, 4000);
}
