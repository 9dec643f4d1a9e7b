/**
 * The one place Chromium's launch flags live (the renderer and `generate` both launch it).
 *
 * Chromium calls its vendor's services at every start even headless: the network time
 * (clients2.google.com), sign-in cookies (accounts.google.com) and on-demand component downloads
 * (update.googleapis.com, which `--disable-component-update` does not stop). The features below
 * switch off the callers that have a switch; the resolver rule is the backstop for those that have
 * none: every name except the loopback fails inside Chromium, so no DNS lookup or connection ever
 * leaves the machine. The replay needs no name: the player is served from 127.0.0.1.
 */

/** Chromium features that fetch from the vendor's servers by themselves. Puppeteer merges this list with its own `--disable-features`. */
export const CHROMIUM_DISABLED_FEATURES = [
  "NetworkTimeServiceQuerying", // the time, from clients2.google.com
  "AutofillServerCommunication", // form field types, for the forms on each page
  "CertificateTransparencyComponentUpdater",
  "OptimizationHints",
  "OptimizationGuideModelDownloading",
  "MediaRouter", // probes the local network for cast devices
  "DialMediaRouteProvider",
  "Translate",
  "InterestFeedContentSuggestions",
  "PreconnectToSearch",
] as const;

/** Only loopback names resolve; everything else fails at once, without a lookup. */
export const LOCAL_ONLY_HOST_RESOLVER_RULES = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost, EXCLUDE [::1]";

/**
 * Headless Chromium on a server with no traffic of its own: no sandbox (we run as root in
 * containers), no GPU, and none of Chromium's background calls (updates, sync, safe browsing,
 * metrics, time, sign-in).
 */
export const CHROMIUM_QUIET_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-domain-reliability",
  "--disable-client-side-phishing-detection",
  "--disable-breakpad",
  "--metrics-recording-only",
  "--no-pings",
  "--password-store=basic",
  "--use-mock-keychain",
  // No speculative DNS lookups or connections for links on the page.
  "--dns-prefetch-disable",
  "--disable-default-apps",
  "--disable-extensions",
  "--no-first-run",
  "--no-default-browser-check",
  `--disable-features=${CHROMIUM_DISABLED_FEATURES.join(",")}`,
  `--host-resolver-rules=${LOCAL_ONLY_HOST_RESOLVER_RULES}`,
];

/** The renderer's flags: quiet, plus fixed rendering so frames are identical run to run. */
export const CHROMIUM_ARGS = [...CHROMIUM_QUIET_ARGS, "--mute-audio", "--hide-scrollbars", "--font-render-hinting=none", "--force-color-profile=srgb"];
