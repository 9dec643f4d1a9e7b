import type { ValidationMode } from "../domain/validation-mode.ts";
import type { TriageMode } from "../domain/triage.ts";

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
    /** Sessions per page of a listing (pages go back in time from the newest; a sweep's window is read to its start). */
    listPageSize: 500,
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
    /**
     * An exception this soon (ms) after a click, submit or change was caused by that action; one
     * that comes back on `retriedExceptionMin` such actions is the user retrying a failing step.
     */
    actionExceptionWindowMs: 2_500,
    retriedExceptionMin: 2,
    redactPii: true,
  },
  replay: {
    /** Gaps between user interactions longer than this count as inactive time. */
    inactivityGapMs: 5_000,
  },
  pipeline: {
    /** Shorter sessions show nothing to analyse (the page closed at once); longer ones keep events, the cutoffs shrink. */
    minSessionDurationMs: 2_000,
    minSummaryRatio: 0.5,
    minChunkRatio: 0.75,
    maxUnknownIdRatio: 0.15,
    extractionMaxTokens: 150_000,
    assignmentMaxTokens: 60_000,
    singleItemMaxTokens: 200_000,
    minPatternSessions: 2,
    /** Sessions summarized at once (the run's LangGraph `maxConcurrency`). */
    sessionConcurrency: 8,
    /** Sessions in flight at once when batching or hedging is on: batches form only from sessions waiting together. */
    fastSessionConcurrency: 100,
  },
  /** The levers that make a report with a model faster and cheaper (issue "triage, batching, hedging"). */
  speed: {
    /**
     * Triage with a model configured: sessions the offline rules find no issue signal in are
     * summarized offline and never sent (`SESSION_SUMMARIES_TRIAGE`, `--triage`).
     */
    triage: "signals" as TriageMode,
    /** Early answers: triage's issue signals grouped across sessions, shown until the report replaces them. */
    preliminary: {
      /** Groups listed; the rest are counted in `more_issues`. */
      maxIssues: 20,
      /** Session ids kept per group as examples. */
      examplesPerIssue: 3,
      /** Groups named in a one-line message (chat progress, CLI). */
      issuesInMessage: 5,
      /** A changing list is streamed at most this often: early answers within a second, without an event per session. */
      updateIntervalMs: 500,
    },
    /** A loading indicator on screen at least this long is a long wait, a triage signal. */
    triageLongWaitMs: 3_000,
    /** Signals kept per session (the preliminary list shows the first ones). */
    triageMaxSignals: 8,
    batch: {
      /** Several small sessions per summarizer call (`SESSION_SUMMARIES_BATCH`, `--batch`). Off by default. */
      enabled: false,
      /** At most this many sessions per call. */
      maxSessions: 4,
      /** ... and at most this many input tokens (the prompt with every session's table). */
      maxInputTokens: 24_000,
      /** A session larger than this goes alone. */
      maxSessionTokens: 8_000,
      /** How long a summary request waits for others to share its call. */
      waitMs: 150,
    },
    hedge: {
      /** A duplicate of a call slower than its stage's running p90, and an early gather (`SESSION_SUMMARIES_HEDGE`, `--hedge`). Off by default. */
      enabled: false,
      /** The latency percentile of the stage's finished calls after which a call is hedged. */
      percentile: 0.9,
      /** Finished calls of a stage needed before any of its calls is hedged. */
      minSamples: 8,
      /** Finished calls kept per stage for its running percentile. */
      latencyWindow: 100,
      /** The gather step may go on when this share of the sessions is done ... */
      gatherReadyRatio: 0.95,
      /** ... and the others have run this much longer than the p90 of the finished ones (the late ones join assignment). */
      stragglerGraceMs: 10_000,
    },
  },
  clip: {
    beforeEventMs: 7_000,
    lengthMs: 12_000,
    /** Frames per second of recording time; the MP4 plays `speed` times faster. */
    framesPerSecond: 2,
    /**
     * 2x: a 12 s clip plays in 6 s, slow enough for a person to follow (8x showed it in 1.5 s). The
     * vision model gets the same MP4 and is told its speed; it does not need 8x.
     */
    speed: 2,
    /**
     * Clips rendered at once (pages of the one warm browser). One keeps frames byte-identical run to
     * run; two render ~13% more clips a second on 2 cores but now and then shift a sticky element by
     * a pixel (bench:render).
     */
    maxPages: 1,
  },
  /** Which flagged key actions are checked against the replay: off | blocking | all-issues. */
  validation: "blocking" as ValidationMode,
  store: {
    /** Under the current directory: the filesystem blob store and the SQLite checkpoint file. */
    dataDir: ".session-summaries",
    blobsSubdir: "blobs",
    checkpointFile: "checkpoints.sqlite",
    /** The watch store's SQLite file (monitors, sweeps, issues, alerts), next to the checkpoints. */
    watchFile: "watch.sqlite",
    /** The embedded defaults: no service needed. */
    blobStore: "filesystem",
    checkpointer: "sqlite",
    redisPrefix: "session-summaries:",
    /** Redis is memory: blobs expire after a week unless a TTL is configured. Files never expire by default. */
    redisBlobTtlSeconds: 7 * 24 * 60 * 60,
    postgresSchema: "public",
  },
  render: {
    /** Debian's Chromium; never a browser downloaded by a package. */
    chromiumPath: "/usr/bin/chromium",
    /** Used when a recording announces no viewport. */
    viewport: { width: 1280, height: 800 },
    /** Loading a replay page (player, rrweb, the clip's events) must finish within this. */
    loadTimeoutMs: 30_000,
  },
  log: {
    /** `SESSION_SUMMARIES_LOG_LEVEL`: one line per request problem, run failure and capture batch. */
    level: "info",
  },
  watch: {
    /** PostHog's own rule: a recording ends after 30 minutes without activity. */
    sessionIdleMinutes: 30,
    /** Monitors swept at once by the scheduler. */
    sweepConcurrency: 2,
    /** How often the scheduler looks for monitors that are due. */
    schedulerTickMs: 30_000,
    /** A sweep looks this far before the watermark for sessions that started earlier and ended after it. */
    lookbackHours: 24,
    /** Alerts no channel took are sent again by later sweeps for this long. */
    redeliverHours: 24,
    /** Sessions one sweep takes at most (one report); the rest wait for the next sweep. */
    maxSessionsPerSweep: 1_000,
  },
  tickets: {
    githubApiUrl: "https://api.github.com",
    linearApiUrl: "https://api.linear.app/graphql",
    /** A ticket claim older than this whose creator never finished (it stopped) may be taken over. */
    claimStaleMs: 120_000,
    /** A request that finds another creating the ticket waits this long for its link. */
    waitForOtherMs: 30_000,
    /** One tracker request may take this long. */
    requestTimeoutMs: 15_000,
    /** Examples (with their evidence) a ticket shows. */
    maxExamples: 3,
  },
  server: {
    /** Loopback by default: a server without API keys serves one local project to this machine only. */
    host: "127.0.0.1",
    port: 8020,
    /** JSON bodies larger than this are refused with 413 (a chat message or a list of session ids fits easily). */
    maxBodyBytes: 100_000,
    /** Report runs under way at once per project; one more is refused with 429. */
    maxRunsPerProject: 2,
    /** Chat turns answering at once per project (each may run a report or a model); one more is refused with 429. */
    maxTurnsPerProject: 4,
    /** A comment line on a quiet event stream, so proxies and clients do not time it out. */
    heartbeatMs: 15_000,
    /** The project used when no API key is configured (loopback only). */
    localProject: "local",
    /** How long `close()` lets requests under way finish before cutting connections. */
    closeGraceMs: 5_000,
  },
  models: {
    /**
     * Per role when only an OpenAI key is set (or when both are, for the text roles). The
     * summarizer runs once per session, so it is the cheap fast model; the reasoner runs a handful
     * of times per report (patterns, validation judgement), so it is the strong one. A reasoning
     * model (`openai:o4-mini`) also works for the reasoner: temperature is then not sent.
     */
    openai: { summarizer: "gpt-4.1-mini", reasoner: "gpt-4.1", vision: "gpt-4.1-mini", chat: "gpt-4.1-mini" },
    /** Per role when only a Google key is set; with both keys, vision uses Gemini (it takes video). */
    google: { summarizer: "gemini-2.5-flash", reasoner: "gemini-2.5-pro", vision: "gemini-2.5-flash", chat: "gemini-2.5-flash" },
    openaiBaseUrl: "https://api.openai.com/v1",
    googleBaseUrl: "https://generativelanguage.googleapis.com",
    /** One model call, including the provider's own retries; pattern extraction reads up to 150k tokens. */
    callTimeoutMs: 300_000,
    /** Model calls in flight at once across a report's fan-out, hedged duplicates included (`SESSION_SUMMARIES_MODEL_CONCURRENCY`). */
    maxConcurrency: 50,
    /** Low: labelling and grouping should be repeatable. Not sent to reasoning models, which reject it. */
    temperature: 0.1,
    /** Retries the provider client makes on 429/5xx before a call fails. */
    providerRetries: 2,
  },
} as const;
