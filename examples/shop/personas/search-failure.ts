import { buyFromProductPage, lookAtProduct, openCategory, openProduct, pickProduct, reachIssueWindow, searchFromHeader, SEARCH_QUERIES, waitForProductGrid, waitForSearchOutcome } from "./steps.ts";
import type { Persona } from "../../../src/generate/persona.ts";

/** Search answers 500: a red banner; "Try again" fails too. Gives up, or finds the product by browsing. */
export const searchFailure: Persona = {
  name: "search-failure",
  summary: 'Search returns 500 and a red banner shows; the user clicks "Try again", rewords the query, then leaves or browses categories instead.',
  kinds: ["visible_api_failure", "abandonment"],
  happy: false,
  variants: ["gives-up", "browses-instead"],
  pages: ["/", "/search", "/?category=*", "/product/*", "/cart", "/checkout"],
  setup: () => ({ issues: ["search-500"], landing: "/" }),
  async run(context) {
    const { user, rng, variant, record, short } = context;
    await waitForProductGrid(context);
    await user.read(2500, 4500);
    await reachIssueWindow(context);

    const query = rng.pick(SEARCH_QUERIES);
    const firstAt = await searchFromHeader(context, query);
    await waitForSearchOutcome(context);
    record.issue({
      kind: "visible_api_failure",
      patternKey: "search-api-500",
      visible: true,
      at: firstAt,
      description: `Searching for "${query}": GET /api/search answers 500 and a red "Something went wrong" banner replaces the results.`,
      page: "/search",
    });
    await user.read(2000, 3500);
    await user.click("#search-retry");
    await waitForSearchOutcome(context);
    await user.read(1500, 3000);
    let lastAt: number;
    if (!short && rng.chance(0.6)) {
      const reworded = rng.pick(SEARCH_QUERIES.filter((q) => q !== query));
      await user.type("#search-input", reworded, { clear: true });
      lastAt = await user.pressEnter({ navigates: true });
      await waitForSearchOutcome(context);
      await user.read(1500, 3000);
    } else {
      lastAt = await user.click("#search-retry");
      await waitForSearchOutcome(context);
      await user.read(1500, 2500);
    }

    if (variant === "browses-instead") {
      const category = rng.pick(["Kitchen", "Textiles", "Home"] as const);
      await openCategory(context, category);
      await waitForProductGrid(context);
      await user.read(1500, 3000);
      await openProduct(
        context,
        pickProduct(context, (p) => p.category === category),
      );
      await lookAtProduct(context);
      await buyFromProductPage(context);
      record.outcome = "success";
      return;
    }
    record.consequence("search-api-500", {
      kind: "abandonment",
      visible: true,
      at: lastAt,
      description: "After the search failed again on retry, the user stops searching and leaves.",
      page: "/search",
    });
    await user.read(6500, 9000);
    record.outcome = "failure";
  },
};
