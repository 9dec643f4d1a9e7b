import { PRODUCTS } from "../catalogue.ts";
import { browseCatalogue, lookAtProduct, openProduct, pickProduct, reachIssueWindow } from "./steps.ts";
import type { Persona } from "../../../src/generate/persona.ts";

/** "Add to cart" throws on the product page; the cart stays empty whatever the user tries. */
export const addToCartException: Persona = {
  name: "add-to-cart-exception",
  summary: '"Add to cart" throws a TypeError; the badge stays at 0; the user tries other colours, checks the empty cart, leaves.',
  kinds: ["blocking_exception", "abandonment"],
  happy: false,
  variants: ["checks-cart", "tries-colours"],
  pages: ["/", "/product/*", "/cart"],
  setup: () => ({ issues: ["add-to-cart-throws"], landing: "/" }),
  async run(context) {
    const { user, rng, variant, record } = context;
    await browseCatalogue(context);
    const product = pickProduct(context, (p) => p.colourways.length > 1);
    await openProduct(context, product);
    await lookAtProduct(context, { pickColour: true });
    await reachIssueWindow(context);

    const firstAt = await user.click("#add-to-cart");
    record.issue({
      kind: "blocking_exception",
      patternKey: "product-add-to-cart-throws",
      visible: true,
      at: firstAt,
      description: "\"Add to cart\" throws TypeError: Cannot read properties of undefined (reading 'sku'); nothing is added and the cart badge stays at 0.",
      page: `/product/${product.slug}`,
    });
    await user.stare(2000, 3500);
    await user.hover("#cart-link", [600, 1200]);
    await user.click("#add-to-cart");
    await user.stare(1500, 2500);

    if (variant === "checks-cart") {
      await user.click("#cart-link", { navigates: true });
      await user.waitFor(".empty-cart");
      await user.read(2000, 3500);
      await user.click(".empty-cart a", { navigates: true });
      await user.waitFor("#product-grid .product-card");
      await user.read(1000, 2000);
      await openProduct(context, product);
      await user.read(1000, 2000);
    } else {
      const swatches = PRODUCTS.find((p) => p.slug === product.slug)?.colourways.length ?? 2;
      await user.click(`.swatch:nth-child(${rng.int(1, swatches)})`);
      await user.pause(800, 1500);
    }
    const lastAt = await user.click("#add-to-cart");
    record.consequence("product-add-to-cart-throws", {
      kind: "abandonment",
      visible: true,
      at: lastAt,
      description: 'After several "Add to cart" clicks that add nothing, the user leaves the shop.',
      page: `/product/${product.slug}`,
    });
    await user.read(6500, 9000);
    record.outcome = "failure";
  },
};
