import { fillCheckout, placeOrder, proceedToCheckout, reachIssueWindow, shopIntoCart, waitForConfirmation } from "./steps.ts";
import type { Persona } from "../../../src/generate/persona.ts";

/** Changing a quantity in the cart fails with a banner; buys one instead, or leaves. */
export const cartUpdateFailure: Persona = {
  name: "cart-update-failure",
  summary: "Changing a quantity in the cart answers 500 and a banner says the cart could not be updated; the user retries, then buys just one or leaves.",
  kinds: ["visible_api_failure", "abandonment"],
  happy: false,
  variants: ["buys-one", "leaves"],
  pages: ["/", "/product/*", "/cart", "/checkout", "/checkout/confirmation"],
  setup: () => ({ issues: ["cart-update-500"], landing: "/" }),
  async run(context) {
    const { user, variant, record } = context;
    await shopIntoCart(context);
    await user.read(1500, 2500);
    await reachIssueWindow(context);

    const firstAt = await user.click(".cart-line .plus");
    await user.waitFor("#cart-banner.banner-error", 10_000);
    record.issue({
      kind: "visible_api_failure",
      patternKey: "cart-quantity-update-500",
      visible: true,
      at: firstAt,
      description: 'Increasing a quantity in the cart: PATCH /api/cart/line answers 500 and a banner says "We couldn\'t update your cart"; the quantity stays the same.',
      page: "/cart",
    });
    await user.read(2000, 3500);
    await user.click(".cart-line .plus");
    await user.read(2000, 3000);

    if (variant === "buys-one") {
      await proceedToCheckout(context);
      await fillCheckout(context);
      await placeOrder(context);
      await waitForConfirmation(context);
      await user.read(2500, 4000);
      record.outcome = "success";
      return;
    }
    const lastAt = await user.click(".cart-line .plus");
    await user.read(1500, 2500);
    record.consequence("cart-quantity-update-500", {
      kind: "abandonment",
      visible: true,
      at: lastAt,
      description: "After three failed quantity changes the user leaves the cart without checking out.",
      page: "/cart",
    });
    await user.read(6500, 8500);
    record.outcome = "failure";
  },
};
