/**
 * Every tunable number in one place. Nodes and functions take these through parameters so tests
 * can change them; nothing else hard-codes them.
 */
export const DEFAULTS = {
  posthog: {
    host: "https://us.posthog.com",
    /** Events per page of the query endpoint. */
    eventsPageSize: 10_000,
    maxRetries: 4,
    retryBaseMs: 500,
    /** How long to wait for response headers, or between two chunks of a body. */
    requestTimeoutMs: 60_000,
    /** Recording blob keys fetched in one snapshots request (PostHog allows 20). */
    blobKeysPerRequest: 10,
    /** Sessions listed when the filter sets no limit. */
    listLimit: 1_000,
  },
  encode: {
    /** Events this close to the start or end of the replay are dropped: a clip cannot show them. */
    replayCutoffMs: 5_000,
    /** URLs in the url_N table are shortened to at most this many characters. */
    maxUrlLength: 256,
    /** Element text and exception values are cut to this many characters. */
    maxTextLength: 120,
    /** An exception fingerprint seen at least this many times in a session is "recurring" and kept. */
    recurringExceptionMin: 5,
    redactPii: true,
  },
  replay: {
    /** Gaps between user interactions longer than this count as inactive time. */
    inactivityGapMs: 5_000,
  },
  clip: {
    beforeEventMs: 7_000,
    lengthMs: 12_000,
  },
  render: {
    /** Debian's Chromium; never a browser downloaded by a package. */
    chromiumPath: "/usr/bin/chromium",
    /** Used when a recording announces no viewport. */
    viewport: { width: 1280, height: 800 },
    /** Loading a replay page (player, rrweb, the clip's events) must finish within this. */
    loadTimeoutMs: 30_000,
  },
} as const;
