import {
  addToCart,
  browseCatalogue,
  goHome,
  lookAtProduct,
  openCart,
  openCategory,
  openProduct,
  pickProduct,
  placeOrder,
  proceedToCheckout,
  fillCheckout,
  waitForConfirmation,
  waitForProductGrid,
} from "./steps.ts";
import type { Persona } from "../../../src/generate/persona.ts";

/** Browses the catalogue, adds one or two products, checks out. Nothing goes wrong. */
export const happyBuyer: Persona = {
  name: "happy-buyer",
  summary: "Browses the catalogue, adds one or two products, checks out and sees the confirmation.",
  kinds: [],
  happy: true,
  variants: ["one-product", "two-products", "by-category"],
  pages: ["/", "/product/*", "/cart", "/checkout", "/checkout/confirmation"],
  setup: (variant) => ({ issues: [], landing: variant === "by-category" ? "/?category=Kitchen" : "/" }),
  async run(context) {
    const { user, rng, variant, short } = context;
    await browseCatalogue(context);
    const first = pickProduct(context, (p) => variant !== "by-category" || p.category === "Kitchen");
    await openProduct(context, first);
    await lookAtProduct(context);
    await addToCart(context, { quantity: rng.chance(0.25) ? 2 : 1 });

    if (variant === "two-products" && !short) {
      if (rng.chance(0.5)) await goHome(context);
      else await openCategory(context, rng.pick(["Kitchen", "Textiles", "Home"] as const));
      await waitForProductGrid(context);
      await user.read(1200, 2500);
      const category = new URL(user.page.url()).searchParams.get("category");
      const second = pickProduct(context, (p) => category === null || p.category === category, [first.slug]);
      await openProduct(context, second);
      await lookAtProduct(context);
      await addToCart(context);
    }

    await openCart(context);
    await user.read(1500, 3000);
    await proceedToCheckout(context);
    await fillCheckout(context);
    await placeOrder(context);
    await waitForConfirmation(context);
    await user.read(2500, 4500);
    context.record.outcome = "success";
  },
};
