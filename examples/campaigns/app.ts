/**
 * The demo SaaS app as the scripted-users generator sees it (`session-summaries generate --app
 * campaigns`): its server, its bugs, its personas.
 */
import type { DemoApp } from "../../src/generate/app.ts";
import { visitUrl } from "../common/issues.ts";
import { parseIssues } from "./issues.ts";
import { CAMPAIGN_PERSONAS } from "./personas/index.ts";
import { startCampaignsApp } from "./server.ts";

export const campaignsApp: DemoApp = {
  name: "campaigns",
  title: "Postbird",
  token: "phc_postbird_demo_app",
  labelSource: { app: "examples/campaigns" },
  start: (options) => startCampaignsApp({ port: 0, ...options }),
  visitUrl: (appUrl, path, issues) => visitUrl(appUrl, path, parseIssues(issues.join(","))),
  personas: CAMPAIGN_PERSONAS,
  cast: { happyShare: 0.34, noiseChance: 0.2, noiseIssues: ["help-beacon-crash", "whats-new-crash"] },
  benignWidgets: {
    "help-beacon-crash": {
      widget: "help-beacon",
      patternKey: "help-beacon-config-typeerror",
      description: "The help beacon throws TypeError: Cannot read properties of undefined (reading 'corner') on every page load; its button still works and nobody notices.",
    },
    "whats-new-crash": {
      widget: "whats-new",
      patternKey: "whats-new-feed-typeerror",
      description: "The \"What's new\" widget rejects with TypeError: Cannot read properties of undefined (reading '0') on every page load; nothing visible changes.",
    },
  },
};

export default campaignsApp;
