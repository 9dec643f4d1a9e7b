import { fillCheckout, placeOrder, proceedToCheckout, reachIssueWindow, shopIntoCart, waitForConfirmation } from "./steps.ts";
import type { Persona } from "../../../src/generate/persona.ts";

/** Correct details are refused with "Something went wrong. Please check your details."; retries, then goes on as a guest or leaves. */
export const signInConfusion: Persona = {
  name: "sign-in-confusion",
  summary: 'Sign-in refuses correct details with a vague "Something went wrong. Please check your details."; the user retypes, then checks out as a guest or leaves.',
  kinds: ["confusion", "abandonment"],
  happy: false,
  variants: ["continues-as-guest", "leaves"],
  pages: ["/", "/product/*", "/cart", "/sign-in", "/checkout"],
  setup: () => ({ issues: ["sign-in-vague-error"], landing: "/" }),
  async run(context) {
    const { user, rng, variant, record, customer, short } = context;
    await shopIntoCart(context);
    await user.read(1000, 2000);
    await user.click("#account-link", { navigates: true });
    await user.waitFor("#sign-in-form");
    await user.read(800, 1500);
    await user.type("#sign-in-email", customer.email);
    await user.type("#sign-in-password", customer.password, { typoRate: 0 });
    await reachIssueWindow(context);

    const firstAt = await user.click("#sign-in-submit");
    await user.waitFor("#sign-in-banner.banner-error", 10_000);
    record.issue({
      kind: "confusion",
      patternKey: "sign-in-vague-error",
      visible: true,
      at: firstAt,
      description: 'Sign-in refuses the user\'s details with "Something went wrong. Please check your details.", without saying what is wrong; the user retypes them.',
      page: "/sign-in",
    });
    let lastAt = firstAt;
    for (let attempt = 0; attempt < (short ? 1 : rng.int(1, 2)); attempt += 1) {
      await user.read(1800, 3200);
      if (attempt === 1) await user.type("#sign-in-email", customer.email, { clear: true });
      await user.type("#sign-in-password", customer.password, { clear: true, typoRate: 0 });
      lastAt = await user.click("#sign-in-submit");
      await user.page.waitForFunction(`!document.getElementById("sign-in-submit").disabled`, { timeout: 10_000 });
    }
    await user.read(2000, 3500);

    if (variant === "continues-as-guest") {
      await user.click("#guest-link", { navigates: true });
      await user.waitFor("#checkout-button");
      await user.read(1000, 2000);
      await proceedToCheckout(context);
      await fillCheckout(context);
      await placeOrder(context);
      await waitForConfirmation(context);
      await user.read(2500, 4000);
      record.outcome = "success";
      return;
    }
    record.consequence("sign-in-vague-error", {
      kind: "abandonment",
      visible: true,
      at: lastAt,
      description: "After sign-in kept failing, the user leaves with items still in the cart.",
      page: "/sign-in",
    });
    await user.read(6500, 9000);
    record.outcome = "abandoned";
  },
};
