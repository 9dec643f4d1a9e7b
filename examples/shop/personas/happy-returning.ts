import { PRODUCTS } from "../catalogue.ts";
import { addToCart, fillCheckout, lookAtProduct, openCart, placeOrder, proceedToCheckout, waitForConfirmation } from "./steps.ts";
import type { Persona } from "../../../src/generate/persona.ts";

/** A returning customer from a newsletter link: lands on a product, signs in, buys. */
export const happyReturning: Persona = {
  name: "happy-returning",
  summary: "Lands on a product from a newsletter link, signs in, adds it, checks out with the email already filled in.",
  kinds: [],
  happy: true,
  variants: ["newsletter"],
  pages: ["/product/*", "/sign-in", "/cart", "/checkout", "/checkout/confirmation"],
  setup: (_variant, rng) => ({ issues: [], landing: `/product/${rng.pick(PRODUCTS).slug}?utm_source=newsletter&utm_medium=email` }),
  async run(context) {
    const { user, customer } = context;
    await user.waitFor("#add-to-cart");
    await lookAtProduct(context);
    await user.click("#account-link", { navigates: true });
    await user.waitFor("#sign-in-form");
    await user.read(800, 1500);
    await user.type("#sign-in-email", customer.email);
    await user.type("#sign-in-password", customer.password, { typoRate: 0 });
    await user.click("#sign-in-submit", { navigates: true });
    await user.waitFor("#add-to-cart");
    await user.read(1000, 2000);
    await addToCart(context);
    await openCart(context);
    await user.read(1200, 2500);
    await proceedToCheckout(context);
    await fillCheckout(context);
    await placeOrder(context);
    await waitForConfirmation(context);
    await user.read(2500, 4500);
    context.record.outcome = "success";
  },
};
