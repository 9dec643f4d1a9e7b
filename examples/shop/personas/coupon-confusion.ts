import { fillCheckout, placeOrder, proceedToCheckout, reachIssueWindow, shopIntoCart, waitForConfirmation } from "./steps.ts";
import type { Persona } from "../../../src/generate/persona.ts";

/** Every coupon code gets a vague "Invalid code"; tries several spellings, then pays full price or leaves. */
export const couponConfusion: Persona = {
  name: "coupon-confusion",
  summary: 'At checkout every coupon code is refused with a vague "Invalid code"; the user tries three or four spellings, then pays full price or leaves.',
  kinds: ["confusion", "abandonment"],
  happy: false,
  variants: ["pays-full-price", "leaves"],
  pages: ["/", "/product/*", "/cart", "/checkout"],
  setup: () => ({ issues: ["coupon-rejected"], landing: "/" }),
  async run(context) {
    const { user, rng, variant, record, short } = context;
    await shopIntoCart(context);
    await user.read(1000, 2000);
    await proceedToCheckout(context);
    await fillCheckout(context);
    await reachIssueWindow(context);

    const codes = rng.shuffle(["welcome10", "WELCOME 10", "Welcome10", "FERNHILL10"]).slice(0, short ? 1 : rng.int(2, 3));
    await user.type("#coupon-input", "WELCOME10");
    const firstAt = await user.click("#coupon-apply");
    await user.waitFor("#coupon-message.error", 10_000);
    record.issue({
      kind: "confusion",
      patternKey: "coupon-code-rejected",
      visible: true,
      at: firstAt,
      description: 'The advertised code WELCOME10 and its variants are all refused with a vague "Invalid code"; the user retypes it several times.',
      page: "/checkout",
    });
    let lastAt = firstAt;
    for (const code of codes) {
      await user.read(1500, 3000);
      await user.type("#coupon-input", code, { clear: true, typoRate: 0 });
      lastAt = await user.click("#coupon-apply");
      await user.page.waitForFunction(`document.getElementById("coupon-message").textContent !== "Checking…"`, { timeout: 10_000 });
    }
    await user.read(2000, 3500);

    if (variant === "pays-full-price") {
      await placeOrder(context);
      await waitForConfirmation(context);
      await user.read(2500, 4000);
      record.outcome = "success";
      return;
    }
    record.consequence("coupon-code-rejected", {
      kind: "abandonment",
      visible: true,
      at: lastAt,
      description: "After the coupon was refused again, the user leaves checkout without placing the order.",
      page: "/checkout",
    });
    await user.read(6500, 9000);
    record.outcome = "abandoned";
  },
};
