import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import pRetry, { AbortError } from "p-retry";
import { SessionSummariesError } from "../../domain/errors.ts";
import type { AlertChannel, AlertRecord, DeliveryAttempt } from "../../domain/monitor.ts";
import { systemClock, type Clock } from "../clock.ts";
import type { AlertPayload } from "./rules.ts";

/**
 * Delivering one alert to one channel: a JSON webhook signed with HMAC-SHA256, or a Slack incoming
 * webhook. Retried with exponential backoff (p-retry) when the receiver may succeed later (network
 * errors, time-outs, 408, 429, 5xx); any other 4xx is the request's fault and is not retried. Every
 * attempt, failed or not, goes to `record` (the store's delivery log).
 *
 * p-retry 7 rather than 6: it is already in the tree (LangGraph's SDK uses it), supports Node 20,
 * and one copy is better than two; the API used here (`retries`, `factor`, `minTimeout`,
 * `maxTimeout`, `onFailedAttempt`, `AbortError`) is the same.
 */

export class AlertDeliveryError extends SessionSummariesError {}

/** The signature header: `sha256=<hex HMAC-SHA256 of the raw body>` with the channel's secret. */
export const SIGNATURE_HEADER = "X-Session-Summaries-Signature";
/** When the request was made (Unix seconds): receivers may refuse old ones. */
export const TIMESTAMP_HEADER = "X-Session-Summaries-Timestamp";
/** The alert's dedupe key: the same on every retry, so a receiver can drop repeats. */
export const ALERT_KEY_HEADER = "X-Session-Summaries-Alert";

export interface DeliveryOptions {
  /** Retries after the first attempt. */
  retries?: number;
  /** Wait before the first retry; each next one waits `factor` times longer, at most `maxTimeoutMs`. */
  minTimeoutMs?: number;
  factor?: number;
  maxTimeoutMs?: number;
  /** Multiplies each wait by a random 1–2, so many monitors failing together do not retry in step. */
  randomize?: boolean;
  /** One attempt (connect, send, response headers) may take this long. */
  attemptTimeoutMs?: number;
  /** Characters of a Slack message's section text (Slack refuses more than 3000). */
  slackTextMax?: number;
}

export const DELIVERY_DEFAULTS = {
  retries: 4,
  minTimeoutMs: 1_000,
  factor: 2,
  maxTimeoutMs: 60_000,
  randomize: true,
  attemptTimeoutMs: 10_000,
  slackTextMax: 2_900,
} as const;

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ ok: boolean; status: number }>;

export interface DeliverInput {
  alert: AlertRecord;
  channel: AlertChannel;
  /** How attempts name the channel; default `channelLabel(channel)`. */
  label?: string;
  /** Looks up a webhook's secret by its `secret_ref` (configuration, never the store). */
  resolveSecret: (ref: string) => string | undefined | Promise<string | undefined>;
  record: (attempt: DeliveryAttempt) => void | Promise<void>;
  fetch?: FetchLike;
  clock?: Clock;
  signal?: AbortSignal;
  options?: DeliveryOptions;
}

export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  status?: number;
  error?: string;
}

/**
 * A channel's name in the delivery log: its kind, host and a short hash of the whole URL, which
 * tells two channels apart without writing a Slack webhook's secret path into the log.
 */
export function channelLabel(channel: AlertChannel): string {
  let host = "invalid-url";
  try {
    host = new URL(channel.url).host;
  } catch {
    // The schema checks URLs; a label must not throw anyway.
  }
  return `${channel.kind} ${host}#${createHash("sha256").update(channel.url).digest("hex").slice(0, 8)}`;
}

/**
 * A monitor as others may read it (API responses): each channel's URL reduced to its origin and
 * label. A Slack incoming-webhook URL is a secret by itself, and a webhook's path or query may be one.
 */
export function withMaskedChannels<T extends { alerts: { channels: AlertChannel[] } }>(monitor: T): T & { alerts: { channels: Array<AlertChannel & { label: string }> } } {
  const mask = (channel: AlertChannel): AlertChannel & { label: string } => {
    let origin = "invalid-url";
    try {
      origin = new URL(channel.url).origin;
    } catch {
      // Kept as a label only.
    }
    return { ...channel, url: `${origin}/***`, label: channelLabel(channel) };
  };
  return { ...monitor, alerts: { ...monitor.alerts, channels: monitor.alerts.channels.map(mask) } };
}

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** What a receiver does: recompute the HMAC of the raw body and compare in constant time. */
export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The JSON a webhook receives: the alert as recorded. */
export function webhookBody(alert: AlertRecord): string {
  return JSON.stringify({
    id: alert.id,
    kind: alert.kind,
    project: alert.project,
    monitor_id: alert.monitor_id,
    sweep_id: alert.sweep_id,
    ...(alert.issue_id !== undefined ? { issue_id: alert.issue_id } : {}),
    dedupe_key: alert.dedupe_key,
    created_at: alert.created_at,
    payload: alert.payload,
  });
}

/** Slack's mrkdwn needs only these escaped. */
function slackEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const KIND_TITLES: Record<AlertRecord["kind"], string> = {
  new_issue: "New issue",
  regression: "Regression",
  threshold: "Threshold crossed",
  recovery: "Recovered",
  yes_rate: "Question yes-rate",
  budget_reached: "Budget reached",
};

/** A Slack incoming-webhook message: `text` (notifications, fallback) and Block Kit `blocks`. */
export function slackMessage(alert: AlertRecord, options: DeliveryOptions = {}): { text: string; blocks: Array<Record<string, unknown>> } {
  const max = options.slackTextMax ?? DELIVERY_DEFAULTS.slackTextMax;
  const payload = alert.payload as Partial<AlertPayload>;
  const text = typeof payload.text === "string" ? payload.text : KIND_TITLES[alert.kind];
  const issue = payload.issue;
  const lines = [`*${KIND_TITLES[alert.kind]}* · ${slackEscape(text)}`];
  if (issue) {
    const title = issue.url ? `<${issue.url}|${slackEscape(issue.title)}>` : `*${slackEscape(issue.title)}*`;
    lines.push(`${title} (${issue.severity}, ${issue.state}): ${issue.sessions_total} sessions, ${issue.users_total} users since ${issue.first_seen.slice(0, 10)}`);
    for (const example of issue.examples) lines.push(`• ${slackEscape(shorten(example.description, 200))}${example.verdict ? ` (replay: ${example.verdict})` : ""}`);
  }
  const monitor = payload.monitor ? `monitor ${slackEscape(payload.monitor.name)}` : `monitor ${alert.monitor_id}`;
  return {
    text: `${KIND_TITLES[alert.kind]}: ${text}`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: shorten(lines.join("\n"), max) } },
      { type: "context", elements: [{ type: "mrkdwn", text: `${monitor} · ${alert.created_at}` }] },
    ],
  };
}

/** A failed attempt, and whether trying again may help. */
class AttemptFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** 408 and 429 say "later"; 5xx may be transient; any other 4xx will fail the same way again. */
/** Statuses worth another attempt: time-outs, rate limits, server errors. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

async function request(input: DeliverInput): Promise<{ url: string; headers: Record<string, string>; body: string }> {
  const { channel, alert } = input;
  const now = (input.clock ?? systemClock).now();
  if (channel.kind === "slack") {
    return { url: channel.url, headers: { "Content-Type": "application/json" }, body: JSON.stringify(slackMessage(alert, input.options)) };
  }
  const body = webhookBody(alert);
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "User-Agent": "session-summaries",
    [TIMESTAMP_HEADER]: String(Math.floor(now.getTime() / 1000)),
    [ALERT_KEY_HEADER]: alert.dedupe_key,
  };
  if (channel.secret_ref !== undefined) {
    const secret = await input.resolveSecret(channel.secret_ref);
    if (!secret) throw new AlertDeliveryError("missing_secret", `the webhook secret ${JSON.stringify(channel.secret_ref)} is not configured`);
    headers[SIGNATURE_HEADER] = signBody(secret, body);
  }
  return { url: channel.url, headers, body };
}

/** Delivers one alert to one channel; never throws for a receiver's failure (the result says it), only for bad input. */
export async function deliverAlert(input: DeliverInput): Promise<DeliveryResult> {
  const options = { ...DELIVERY_DEFAULTS, ...input.options };
  const clock = input.clock ?? systemClock;
  const label = input.label ?? channelLabel(input.channel);
  const doFetch: FetchLike = input.fetch ?? ((url, init) => fetch(url, init));
  let attempts = 0;
  let last: { status?: number; error?: string } = {};
  let recordFailure: unknown;

  const record = async (attempt: DeliveryAttempt): Promise<void> => {
    try {
      await input.record(attempt);
    } catch (error) {
      // A log that cannot be written must stop the retries: sending again unrecorded would hide deliveries.
      recordFailure = error;
      throw new AbortError(error instanceof Error ? error : new Error(String(error)));
    }
  };

  let prepared: Awaited<ReturnType<typeof request>>;
  try {
    prepared = await request(input);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await input.record({ alert_id: input.alert.id, channel: label, attempt: 1, at: clock.now().toISOString(), ok: false, error: message });
    return { ok: false, attempts: 1, error: message };
  }

  try {
    await pRetry(
      async (attemptNumber) => {
        attempts = attemptNumber;
        const at = clock.now().toISOString();
        const timeout = AbortSignal.timeout(options.attemptTimeoutMs);
        const signal = input.signal ? AbortSignal.any([input.signal, timeout]) : timeout;
        let status: number;
        try {
          const response = await doFetch(prepared.url, { method: "POST", headers: prepared.headers, body: prepared.body, signal });
          status = response.status;
          if (response.ok) {
            last = { status };
            await record({ alert_id: input.alert.id, channel: label, attempt: attemptNumber, at, ok: true, status });
            return;
          }
        } catch (error) {
          if (error instanceof AbortError) throw error;
          const message = timeout.aborted
            ? `no answer within ${options.attemptTimeoutMs} ms`
            : error instanceof Error
              ? error.cause instanceof Error
                ? `${error.message}: ${error.cause.message}`
                : error.message
              : String(error);
          last = { error: message };
          await record({ alert_id: input.alert.id, channel: label, attempt: attemptNumber, at, ok: false, error: message });
          if (input.signal?.aborted) throw new AbortError(message);
          throw new AttemptFailure(message, true);
        }
        const message = `HTTP ${status}`;
        last = { status, error: message };
        await record({ alert_id: input.alert.id, channel: label, attempt: attemptNumber, at, ok: false, status, error: message });
        if (!retryableStatus(status)) throw new AbortError(new AttemptFailure(message, false, status));
        throw new AttemptFailure(message, true, status);
      },
      {
        retries: options.retries,
        factor: options.factor,
        minTimeout: options.minTimeoutMs,
        maxTimeout: options.maxTimeoutMs,
        randomize: options.randomize,
        ...(input.signal ? { signal: input.signal } : {}),
      },
    );
    return { ok: true, attempts, ...(last.status !== undefined ? { status: last.status } : {}) };
  } catch (error) {
    if (recordFailure !== undefined) throw recordFailure;
    if (last.error === undefined) throw error;
    return { ok: false, attempts, ...last };
  }
}
