/** Tunable numbers of the capture server, in one place; every one can be overridden by a parameter. */
export const CAPTURE_DEFAULTS = {
  host: "127.0.0.1",
  /** Largest request body as it arrives on the wire (compressed or not). */
  maxBodyBytes: 5 * 1024 * 1024,
  /**
   * Largest body after gunzip / base64 decoding. posthog-js gzips recordings about 10:1, and
   * PostHog's own capture allows 25 MB per recording request.
   */
  maxDecodedBytes: 25 * 1024 * 1024,
  /** How long `close()` lets in-flight requests finish before cutting their connections. */
  closeGraceMs: 2_000,
  /** Longest pause between two looks for quiet sessions to finalize (when idle finalizing is on). */
  finalizeCheckMs: 30_000,
} as const;
