import { fillCheckout, proceedToCheckout, reachIssueWindow, shopIntoCart } from "./steps.ts";
import type { Persona } from "../../../src/generate/persona.ts";

/** Does everything right, but "Place order" throws; clicks it again and again, then leaves. */
export const placeOrderException: Persona = {
  name: "place-order-exception",
  summary: '"Place order" throws a TypeError and nothing happens; the user retries (sometimes rage-clicks) and leaves.',
  kinds: ["blocking_exception", "abandonment"],
  happy: false,
  variants: ["retries", "rage-clicks"],
  pages: ["/", "/product/*", "/cart", "/checkout"],
  setup: () => ({ issues: ["place-order-throws"], landing: "/" }),
  async run(context) {
    const { user, rng, variant, record } = context;
    await shopIntoCart(context);
    await user.read(1000, 2000);
    await proceedToCheckout(context);
    await fillCheckout(context);
    await reachIssueWindow(context);

    const firstAt = await user.click("#place-order");
    record.issue({
      kind: "blocking_exception",
      patternKey: "checkout-place-order-throws",
      visible: true,
      at: firstAt,
      description: "\"Place order\" throws TypeError: Cannot read properties of undefined (reading 'total'); the button does nothing and no order is placed.",
      page: "/checkout",
    });
    // Waits for something to happen; nothing does.
    await user.stare(2500, 4000);
    await user.click("#place-order");
    await user.stare(1500, 3000);
    if (variant === "rage-clicks") {
      for (let i = 0; i < rng.int(3, 5); i += 1) {
        await user.clickAgain();
        await user.stare(120, 260);
      }
      await user.stare(1500, 2500);
    } else {
      await user.scrollBy(-rng.between(200, 500));
      await user.read(1500, 3000);
      await user.click("#email");
      await user.pause(500, 1200);
    }
    const lastAt = await user.click("#place-order");
    record.consequence("checkout-place-order-throws", {
      kind: "abandonment",
      visible: true,
      at: lastAt,
      description: 'After repeated "Place order" clicks that do nothing, the user gives up on checkout and closes the tab.',
      page: "/checkout",
    });
    await user.read(6500, 9000);
    record.outcome = "failure";
  },
};
