import { fillCheckout, proceedToCheckout, reachIssueWindow, shopIntoCart } from "./steps.ts";
import type { Persona } from "../../../src/generate/persona.ts";

/** Fills the checkout form; a required phone field far below the fold blocks "Place order"; gives up. */
export const hiddenFieldAbandoner: Persona = {
  name: "hidden-field-abandoner",
  summary: 'Fills the checkout form, but a required phone field sits far below the fold; "Please complete all required fields" keeps coming back; the user leaves.',
  kinds: ["confusion", "abandonment"],
  happy: false,
  variants: ["rechecks-fields", "retries"],
  pages: ["/", "/product/*", "/cart", "/checkout"],
  setup: () => ({ issues: ["checkout-hidden-required"], landing: "/" }),
  async run(context) {
    const { user, rng, variant, record, customer } = context;
    await shopIntoCart(context);
    await user.read(1000, 2000);
    await proceedToCheckout(context);
    await fillCheckout(context, { phone: false });
    await reachIssueWindow(context);

    await user.click("#place-order");
    await user.waitFor("#place-order-error", 5_000);
    await user.read(2000, 3500);
    if (variant === "rechecks-fields") {
      await user.scrollBy(-rng.between(300, 700));
      await user.read(1000, 2000);
      await user.type("#postcode", customer.postcode, { clear: true, typoRate: 0 });
      await user.pause(600, 1200);
      await user.type("#card-cvc", customer.cvc, { clear: true, typoRate: 0 });
      await user.pause(600, 1200);
    } else {
      await user.stare(1000, 2000);
    }
    // Clicking the same control again against the same vague refusal is confusion; leaving after it
    // is its consequence: one root problem, the hidden field.
    const retryAt = await user.click("#place-order");
    record.issue({
      kind: "confusion",
      patternKey: "checkout-hidden-required-field",
      visible: true,
      at: retryAt,
      description:
        '"Place order" keeps answering "Please complete all required fields." because a required phone field is far below the fold; the user clicks it again and again without finding what is missing.',
      page: "/checkout",
    });
    await user.read(2000, 3500);
    const lastAt = await user.click("#place-order");
    record.consequence("checkout-hidden-required-field", {
      kind: "abandonment",
      visible: true,
      at: lastAt,
      description: 'After "Place order" was refused again for a field they never found, the user leaves without ordering.',
      page: "/checkout",
    });
    await user.read(6500, 9000);
    record.outcome = "abandoned";
  },
};
