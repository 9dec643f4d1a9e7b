import {
  addToCart,
  fillCheckout,
  lookAtProduct,
  openCart,
  openProduct,
  placeOrder,
  proceedToCheckout,
  searchFromHeader,
  SEARCH_QUERIES,
  waitForConfirmation,
  waitForProductGrid,
  waitForSearchOutcome,
} from "./steps.ts";
import { searchProducts } from "../catalogue.ts";
import type { Persona } from "../../../src/generate/persona.ts";

/** Knows what they want: searches, opens a result, buys, sometimes with the welcome coupon. */
export const happySearcher: Persona = {
  name: "happy-searcher",
  summary: "Searches from the header, opens a result, adds it, maybe bumps the quantity in the cart, pays (sometimes with a valid coupon).",
  kinds: [],
  happy: true,
  variants: ["with-coupon", "plain"],
  pages: ["/", "/search", "/product/*", "/cart", "/checkout", "/checkout/confirmation"],
  setup: () => ({ issues: [], landing: "/" }),
  async run(context) {
    const { user, rng, variant, short } = context;
    await waitForProductGrid(context);
    await user.read(2000, 4000);
    const query = rng.pick(SEARCH_QUERIES);
    await searchFromHeader(context, query);
    await waitForSearchOutcome(context);
    await user.read(1500, 3000);
    const results = searchProducts(query);
    const product = rng.pick(results);
    await openProduct(context, product);
    await lookAtProduct(context);
    await addToCart(context);
    await openCart(context);
    await user.read(1000, 2000);
    if (!short && rng.chance(0.5)) {
      await user.click(".cart-line .plus");
      await user.waitFor(".cart-line .line-qty");
      await user.read(1000, 2000);
    }
    await proceedToCheckout(context);
    await fillCheckout(context);
    if (variant === "with-coupon") {
      await user.type("#coupon-input", rng.pick(["WELCOME10", "welcome10"]));
      await user.click("#coupon-apply");
      await user.page.waitForSelector("#coupon-message.ok", { timeout: 10_000 });
      await user.read(1200, 2500);
    }
    await placeOrder(context);
    await waitForConfirmation(context);
    await user.read(2500, 4500);
    context.record.outcome = "success";
  },
};
