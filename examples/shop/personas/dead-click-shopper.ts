import {
  addToCart,
  browseCatalogue,
  buyFromProductPage,
  fillCheckout,
  lookAtProduct,
  openCart,
  openProduct,
  pickProduct,
  placeOrder,
  proceedToCheckout,
  reachIssueWindow,
  waitForConfirmation,
  waitForProductGrid,
} from "./steps.ts";
import type { PersonaContext, Persona } from "../../../src/generate/persona.ts";

const DEAD_ELEMENTS = {
  "promo-pill": {
    selector: "#promo-pill",
    patternKey: "free-shipping-pill-does-nothing",
    description: 'The "Free shipping over $50 ›" pill looks like a button; clicking it does nothing.',
  },
  zoom: {
    selector: "#zoom-badge",
    patternKey: "product-zoom-does-nothing",
    description: 'The "Zoom" badge on the product picture looks like a button; clicking it does nothing.',
  },
  "shipping-estimate": {
    selector: "#shipping-estimate",
    patternKey: "shipping-estimate-does-nothing",
    description: '"Estimate shipping ›" in the cart looks like a button; clicking it does nothing.',
  },
} as const;
type DeadElement = keyof typeof DEAD_ELEMENTS;

/** Clicks something that looks clickable and is not, a couple of times, then carries on and buys. */
export const deadClickShopper: Persona = {
  name: "dead-click-shopper",
  summary: "Clicks an element that looks like a button but does nothing (shipping pill, zoom badge, shipping estimate) a few times, then carries on and buys.",
  kinds: ["dead_click"],
  happy: false,
  variants: ["promo-pill", "zoom", "shipping-estimate"],
  pages: ["/", "/product/*", "/cart", "/checkout", "/checkout/confirmation"],
  setup: (variant) => ({
    issues: [variant === "promo-pill" ? "promo-pill-dead" : variant === "zoom" ? "zoom-dead" : "shipping-estimate-dead"],
    landing: "/",
  }),
  async run(context) {
    const { user, variant } = context;
    const dead = variant as DeadElement;
    if (dead === "promo-pill") {
      await waitForProductGrid(context);
      await user.read(2000, 3500);
      await clickDeadElement(context, dead, "/");
      await browseCatalogue(context);
      await openProduct(context, pickProduct(context));
      await lookAtProduct(context);
      await buyFromProductPage(context);
    } else if (dead === "zoom") {
      await browseCatalogue(context);
      await openProduct(context, pickProduct(context));
      await user.read(1500, 3000);
      await clickDeadElement(context, dead, new URL(user.page.url()).pathname);
      await lookAtProduct(context);
      await buyFromProductPage(context);
    } else {
      await browseCatalogue(context);
      await openProduct(context, pickProduct(context));
      await lookAtProduct(context);
      await addToCart(context);
      await openCart(context);
      await user.read(1500, 2500);
      await clickDeadElement(context, dead, "/cart");
      await user.read(1000, 2000);
      await proceedToCheckout(context);
      await fillCheckout(context);
      await placeOrder(context);
      await waitForConfirmation(context);
      await user.read(2500, 4000);
    }
    context.record.outcome = "success";
  },
};

/** Clicks the element, waits for a reaction, clicks again, waits again (no input, so nothing masks the dead click). */
async function clickDeadElement(context: PersonaContext, dead: DeadElement, page: string): Promise<void> {
  const { user, rng, record } = context;
  const spec = DEAD_ELEMENTS[dead];
  await reachIssueWindow(context);
  await user.hover(spec.selector, [400, 900]);
  const at = await user.click(spec.selector);
  record.issue({ kind: "dead_click", patternKey: spec.patternKey, visible: true, at, description: spec.description, page });
  await user.stare(3000, 4000);
  if (rng.chance(0.7)) {
    await user.clickAgain();
    await user.stare(3000, 4000);
  }
}
