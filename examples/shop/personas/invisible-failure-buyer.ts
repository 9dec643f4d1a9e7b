import {
  addToCart,
  browseCatalogue,
  clickAddToCart,
  fillCheckout,
  goHome,
  lookAtProduct,
  openCart,
  openProduct,
  pickProduct,
  placeOrder,
  proceedToCheckout,
  reachIssueWindow,
  waitForConfirmation,
  waitForProductGrid,
  ISSUE_NOT_BEFORE_MS,
} from "./steps.ts";
import type { Persona } from "../../../src/generate/persona.ts";

/** Buys without noticing that a background call failed (recommendations, or saving the cart). */
export const invisibleFailureBuyer: Persona = {
  name: "invisible-failure-buyer",
  summary: "Buys two products while a background call fails unseen: recommendations answer 503 (the section stays hidden) or the cart sync answers 500.",
  kinds: ["invisible_api_failure"],
  happy: false,
  variants: ["recommendations", "cart-sync"],
  pages: ["/", "/product/*", "/cart", "/checkout", "/checkout/confirmation"],
  setup: (variant) => ({ issues: [variant === "recommendations" ? "recommendations-503" : "cart-sync-500"], landing: "/" }),
  async run(context) {
    const { user, variant, record, startedAt } = context;
    await browseCatalogue(context);
    await reachIssueWindow(context);
    const first = pickProduct(context);
    await openProduct(context, first);
    await lookAtProduct(context);
    const addedAt = variant === "cart-sync" ? await clickAddToCart(context) : await addToCart(context);
    await user.read(1000, 2000);
    await goHome(context);
    await waitForProductGrid(context);
    await user.read(1000, 2500);
    await openProduct(
      context,
      pickProduct(context, () => true, [first.slug]),
    );
    await lookAtProduct(context, { pickColour: false });
    await addToCart(context);

    if (variant === "recommendations") {
      const failure = (await user.marks()).find((m) => m.type === "api-failure" && m.detail.path === "/api/recommendations" && m.t >= startedAt + ISSUE_NOT_BEFORE_MS);
      if (!failure) throw new Error("the recommendations call did not fail as set up");
      record.issue({
        kind: "invisible_api_failure",
        patternKey: "recommendations-503",
        visible: false,
        at: failure.t,
        description: 'GET /api/recommendations answers 503 on every product page; "You may also like" stays hidden and nobody notices.',
        page: failure.path,
      });
    } else {
      record.issue({
        kind: "invisible_api_failure",
        patternKey: "cart-sync-500",
        visible: false,
        at: addedAt,
        description: 'After "Add to cart" the background POST /api/cart/sync answers 500; the cart works locally and the user notices nothing.',
        page: `/product/${first.slug}`,
      });
    }

    await openCart(context);
    await user.read(1200, 2500);
    await proceedToCheckout(context);
    await fillCheckout(context);
    await placeOrder(context);
    await waitForConfirmation(context);
    await user.read(2500, 4000);
    record.outcome = "success";
  },
};
