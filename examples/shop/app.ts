/**
 * The demo shop as the scripted-users generator sees it (`session-summaries generate --app shop`):
 * its server, its bugs, its personas (`personas/`, steps shared by them in `personas/steps.ts`).
 */
import type { DemoApp } from "../../src/generate/app.ts";
import { PERSONAS } from "./personas/index.ts";
import { visitUrl } from "../common/issues.ts";
import { parseIssues } from "./issues.ts";
import { startShop } from "./server.ts";

export const shopApp: DemoApp = {
  name: "shop",
  title: "Fernhill Home",
  token: "phc_fernhill_demo_shop",
  labelSource: { shop: "examples/shop" },
  start: (options) => startShop({ port: 0, ...options }),
  // Names the shop does not know are dropped, as its pages drop them.
  visitUrl: (appUrl, path, issues) => visitUrl(appUrl, path, parseIssues(issues.join(","))),
  personas: PERSONAS,
  cast: { happyShare: 0.34, noiseChance: 0.2, noiseIssues: ["chat-widget-crash", "currency-widget-crash"] },
  benignWidgets: {
    "chat-widget-crash": {
      widget: "chat",
      patternKey: "chat-widget-greeting-typeerror",
      description: "The chat widget's boot rejects with TypeError: Cannot read properties of undefined (reading 'text') on every page load; the widget still works and nobody notices.",
    },
    "currency-widget-crash": {
      widget: "currency",
      patternKey: "currency-switcher-null-dataset",
      description: "The currency switcher throws TypeError: Cannot read properties of null (reading 'dataset') on every page load; prices show in dollars as always.",
    },
  },
};

export default shopApp;
