import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The prompts must not teach a model one demo app's bugs: their worked examples come from an
 * invented product of a third kind (a room-booking tool), and issue kinds are described in words
 * that fit any product. A model that read "Place order throws" as the example of a blocking error
 * would look for orders on a dashboard, and the eval on the demo apps would flatter it.
 *
 * The words below are each demo app's own vocabulary (its pages, controls and injected bugs, see
 * examples/shop/issues.ts and examples/campaigns/issues.ts). Bare "order" and "product" are not
 * listed: "in time order" and "the product team" are ordinary words of the prompts.
 */
const DEMO_APP_WORDS: Record<string, readonly RegExp[]> = {
  shop: [
    /\bcart\b/i,
    /\bcheck(?:-|\s)?out\b/i,
    /\bcoupons?\b/i,
    /\bplace order\b/i,
    /\badd to cart\b/i,
    /\border (?:could|was|confirmation)\b/i,
    /\bshipping\b/i,
    /\bcatalogue\b/i,
    /\bcurrency\b/i,
    /\bzoom\b/i,
    /\bTypeError\b/,
    /\bblankets?\b/i,
    /\bshoes?\b/i,
    /\bconversion\b/i,
    /\bbuy\b/i,
  ],
  campaigns: [/\bcampaigns?\b/i, /\bnewsletters?\b/i, /\bpostbird\b/i, /\btemplates?\b/i, /\bonboarding\b/i, /\bsend invite\b/i, /\bbilling\b/i, /\bsubscribers?\b/i, /\bcontacts\b/i, /\bbeacon\b/i],
};

const PROMPTS_DIR = fileURLToPath(new URL("../../prompts", import.meta.url));

/** Every prompt source file, comments included: a doc comment's example is read by whoever edits the prompt. */
async function promptSources(): Promise<Array<[string, string]>> {
  const files = (await readdir(PROMPTS_DIR)).filter((name) => name.endsWith(".ts")).sort();
  return Promise.all(files.map(async (name): Promise<[string, string]> => [name, await readFile(path.join(PROMPTS_DIR, name), "utf8")]));
}

describe("prompts name neither demo app", () => {
  it("finds the prompt files", async () => {
    expect((await promptSources()).map(([name]) => name)).toEqual(expect.arrayContaining(["summarize-session.ts", "extract-patterns.ts", "validate-clip.ts", "chat.ts"]));
  });

  it.each(Object.keys(DEMO_APP_WORDS))("no word of the %s app in any prompt file", async (app) => {
    const hits: string[] = [];
    for (const [name, text] of await promptSources()) {
      for (const word of DEMO_APP_WORDS[app]!) {
        const match = word.exec(text);
        if (match) hits.push(`${name}: ${match[0]}`);
      }
    }
    expect(hits).toEqual([]);
  });
});
