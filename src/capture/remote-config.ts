/**
 * What the capture server tells posthog-js about "the project", in the shapes PostHog serves.
 *
 * posthog-js (1.449) loads its remote config from `GET /array/<token>/config` (JSON; bundles
 * without the external script loader, e.g. `array.full.no-external.js`) or `/array/<token>/config.js`
 * (a script setting `window._POSTHOG_REMOTE_CONFIG[token]`; bundles with the loader), then calls
 * `POST /flags/?v=2` unless `hasFeatureFlags` is false. Each extension reads its own key and stays
 * off when the key is absent:
 *
 * - `autocapture_opt_out: false` (a boolean is required) → `$autocapture`, `$rageclick`;
 * - `sessionRecording: { endpoint: "/s/" }` → the recorder starts and posts `$snapshot`s there
 *   (no endpoint = nothing is sent);
 * - `heatmaps: true` → `$$heatmap`; `captureDeadClicks: true` → `$dead_click`;
 * - `autocaptureExceptions: true` → `$exception` (client option `capture_exceptions` too);
 * - `capturePerformance` → `$web_vitals` and network timing in the recording;
 * - `supportedCompression: ["gzip", "gzip-js"]` → posthog-js gzips its bodies from then on (before
 *   the config arrives it gzips too; with no supported compression it sends plain JSON).
 */

export type RemoteConfig = Record<string, unknown>;

export interface RemoteConfigOptions {
  /** Shallow overrides merged over the defaults, e.g. `{ supportedCompression: [] }` for plain JSON bodies. */
  overrides?: RemoteConfig;
}

export function buildRemoteConfig(token: string, options: RemoteConfigOptions = {}): RemoteConfig {
  return {
    token,
    supportedCompression: ["gzip", "gzip-js"],
    hasFeatureFlags: false,
    autocapture_opt_out: false,
    autocaptureExceptions: true,
    errorTracking: { autocaptureExceptions: true, suppressionRules: [] },
    captureDeadClicks: true,
    heatmaps: true,
    capturePerformance: { network_timing: true, web_vitals: true, web_vitals_allowed_metrics: null },
    analytics: { endpoint: "/i/v0/e/" },
    sessionRecording: {
      endpoint: "/s/",
      consoleLogRecordingEnabled: true,
      recorderVersion: "v2",
      sampleRate: null,
      minimumDurationMilliseconds: null,
      linkedFlag: null,
      networkPayloadCapture: null,
      masking: null,
      urlTriggers: [],
      urlBlocklist: [],
      eventTriggers: [],
      scriptConfig: null,
      recordCanvas: false,
    },
    surveys: false,
    productTours: false,
    conversations: false,
    defaultIdentifiedOnly: true,
    siteApps: [],
    toolbarParams: {},
    isAuthenticated: false,
    ...options.overrides,
  };
}

/** `/flags/?v=2` answer: no flags. `config=true` (older posthog-js) also wants the remote config in it. */
export function buildFlagsResponse(config: RemoteConfig | undefined, requestId: string): Record<string, unknown> {
  return {
    ...(config ?? {}),
    flags: {},
    featureFlags: {},
    featureFlagPayloads: {},
    errorsWhileComputingFlags: false,
    quotaLimited: [],
    requestId,
    evaluatedAt: Date.now(),
  };
}

/**
 * `/array/<token>/config.js`: the script form of the remote config. The JSON is made safe to embed
 * in a script (no `</script>`, no line separators that end a JS string).
 */
export function buildRemoteConfigScript(token: string, config: RemoteConfig): string {
  const payload = scriptSafeJson({ config, siteApps: [] });
  return `(function(){var w=window;w._POSTHOG_REMOTE_CONFIG=w._POSTHOG_REMOTE_CONFIG||{};w._POSTHOG_REMOTE_CONFIG[${scriptSafeJson(token)}]=${payload};})();\n`;
}

function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
