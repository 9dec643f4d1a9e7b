import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { AlertRecord, DeliveryAttempt } from "../../src/domain/monitor.ts";
import { ManualClock } from "../../src/watch/clock.ts";
import { ALERT_KEY_HEADER, channelLabel, deliverAlert, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature, webhookBody, type DeliveryOptions } from "../../src/watch/alerts/deliver.ts";

/** A real local HTTP receiver on port 0: answers each request with the next status of `statuses` (the last one repeats). */
interface Receiver {
  url: string;
  requests: Array<{ headers: IncomingHttpHeaders; body: string }>;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

async function receiver(statuses: number[], path = "/hook"): Promise<Receiver> {
  const requests: Receiver["requests"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.statusCode = statuses[Math.min(requests.length - 1, statuses.length - 1)]!;
      res.end("ok");
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, requests };
}

const alert: AlertRecord = {
  id: 7,
  project: "p1",
  monitor_id: "m1",
  sweep_id: "sw1",
  kind: "new_issue",
  issue_id: 3,
  dedupe_key: "new_issue:3",
  created_at: "2026-12-01T08:00:00.000Z",
  payload: {
    text: "New issue (critical): Place order fails with TypeError on /checkout",
    monitor: { id: "m1", name: "Checkout" },
    issue: {
      id: 3,
      title: "Place order fails <with> TypeError",
      kind: "error",
      severity: "critical",
      state: "new",
      first_seen: "2026-12-01T08:00:00.000Z",
      last_seen: "2026-12-01T08:00:00.000Z",
      sessions_total: 4,
      users_total: 3,
      url: "https://app.test/issues/3",
      examples: [{ session_id: "s1", description: 'Clicking "Place order" threw TypeError', verdict: "confirmed" }],
    },
  },
};

const FAST: DeliveryOptions = { minTimeoutMs: 5, maxTimeoutMs: 20, randomize: false, attemptTimeoutMs: 2_000 };
const secrets = (ref: string) => (ref === "HOOK_SECRET" ? "s3cret" : undefined);

describe("deliverAlert", () => {
  it("posts the alert as JSON to a webhook, signed with HMAC-SHA256 of the raw body, with a timestamp", async () => {
    const hook = await receiver([204]);
    const attempts: DeliveryAttempt[] = [];
    const clock = new ManualClock("2026-12-01T08:00:05Z");
    const result = await deliverAlert({
      alert,
      channel: { kind: "webhook", url: hook.url, secret_ref: "HOOK_SECRET" },
      resolveSecret: secrets,
      record: (a) => void attempts.push(a),
      clock,
      options: FAST,
    });
    expect(result).toEqual({ ok: true, attempts: 1, status: 204 });
    const [request] = hook.requests;
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.headers[TIMESTAMP_HEADER.toLowerCase()]).toBe(String(Date.parse("2026-12-01T08:00:05Z") / 1000));
    expect(request!.headers[ALERT_KEY_HEADER.toLowerCase()]).toBe("new_issue:3");
    const signature = request!.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature("s3cret", request!.body, signature)).toBe(true);
    expect(verifySignature("wrong", request!.body, signature)).toBe(false);
    expect(verifySignature("s3cret", `${request!.body} `, signature)).toBe(false);
    expect(request!.body).toBe(webhookBody(alert));
    expect(JSON.parse(request!.body)).toMatchObject({ id: 7, kind: "new_issue", issue_id: 3, payload: { issue: { title: "Place order fails <with> TypeError" } } });
    expect(attempts).toEqual([{ alert_id: 7, channel: channelLabel({ kind: "webhook", url: hook.url }), attempt: 1, at: "2026-12-01T08:00:05.000Z", ok: true, status: 204 }]);
  });

  it("sends Slack's incoming-webhook shape: text and blocks, mrkdwn escaped, the issue linked", async () => {
    const slack = await receiver([200], "/services/T000/B000/XXXXSECRET");
    const attempts: DeliveryAttempt[] = [];
    const result = await deliverAlert({ alert, channel: { kind: "slack", url: slack.url }, resolveSecret: secrets, record: (a) => void attempts.push(a), options: FAST });
    expect(result.ok).toBe(true);
    const body = JSON.parse(slack.requests[0]!.body) as { text: string; blocks: Array<{ type: string; text?: { type: string; text: string }; elements?: unknown[] }> };
    expect(Object.keys(body).sort()).toEqual(["blocks", "text"]);
    expect(body.text).toBe("New issue: New issue (critical): Place order fails with TypeError on /checkout");
    expect(body.blocks.map((b) => b.type)).toEqual(["section", "context"]);
    expect(body.blocks[0]!.text!.type).toBe("mrkdwn");
    expect(body.blocks[0]!.text!.text).toContain("<https://app.test/issues/3|Place order fails &lt;with&gt; TypeError>");
    expect(body.blocks[0]!.text!.text).toContain("(replay: confirmed)");
    expect(slack.requests[0]!.headers[SIGNATURE_HEADER.toLowerCase()]).toBeUndefined();
    // The log names the channel without the webhook's secret path.
    expect(attempts[0]!.channel).not.toContain("SECRET");
    expect(attempts[0]!.channel).toMatch(/^slack 127\.0\.0\.1:\d+#[0-9a-f]{8}$/);
  });

  it("retries a failing receiver with backoff until it succeeds, recording every attempt", async () => {
    const hook = await receiver([500, 503, 429, 200]);
    const attempts: DeliveryAttempt[] = [];
    const result = await deliverAlert({ alert, channel: { kind: "webhook", url: hook.url }, resolveSecret: secrets, record: (a) => void attempts.push(a), options: FAST });
    expect(result).toEqual({ ok: true, attempts: 4, status: 200 });
    expect(hook.requests).toHaveLength(4);
    expect(attempts.map((a) => [a.attempt, a.ok, a.status])).toEqual([
      [1, false, 500],
      [2, false, 503],
      [3, false, 429],
      [4, true, 200],
    ]);
    // Every retry sends the very same signed body and alert key, so receivers can drop repeats.
    expect(new Set(hook.requests.map((r) => r.body)).size).toBe(1);
  });

  it("gives up after the retries, and does not retry a 4xx other than 408 and 429", async () => {
    const down = await receiver([502]);
    let attempts: DeliveryAttempt[] = [];
    let result = await deliverAlert({ alert, channel: { kind: "webhook", url: down.url }, resolveSecret: secrets, record: (a) => void attempts.push(a), options: { ...FAST, retries: 2 } });
    expect(result).toEqual({ ok: false, attempts: 3, status: 502, error: "HTTP 502" });
    expect(attempts).toHaveLength(3);

    const gone = await receiver([410]);
    attempts = [];
    result = await deliverAlert({ alert, channel: { kind: "webhook", url: gone.url }, resolveSecret: secrets, record: (a) => void attempts.push(a), options: FAST });
    expect(result).toMatchObject({ ok: false, attempts: 1, status: 410 });
    expect(gone.requests).toHaveLength(1);

    const timeout = await receiver([408, 201]);
    result = await deliverAlert({ alert, channel: { kind: "webhook", url: timeout.url }, resolveSecret: secrets, record: () => undefined, options: FAST });
    expect(result).toEqual({ ok: true, attempts: 2, status: 201 });
  });

  it("retries when nobody listens (connection refused), recording the network error", async () => {
    const closed = await receiver([200]);
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const attempts: DeliveryAttempt[] = [];
    const result = await deliverAlert({ alert, channel: { kind: "webhook", url: closed.url }, resolveSecret: secrets, record: (a) => void attempts.push(a), options: { ...FAST, retries: 1 } });
    expect(result.ok).toBe(false);
    expect(attempts).toHaveLength(2);
    expect(attempts[0]!.error).toMatch(/ECONNREFUSED|fetch failed/);
  });

  it("records a missing secret as a failed attempt without sending, and stops when the log cannot be written", async () => {
    const hook = await receiver([200]);
    const attempts: DeliveryAttempt[] = [];
    const result = await deliverAlert({ alert, channel: { kind: "webhook", url: hook.url, secret_ref: "NOT_SET" }, resolveSecret: secrets, record: (a) => void attempts.push(a), options: FAST });
    expect(result).toEqual({ ok: false, attempts: 1, error: 'the webhook secret "NOT_SET" is not configured' });
    expect(hook.requests).toHaveLength(0);
    expect(attempts[0]!.ok).toBe(false);

    const failing = await receiver([500]);
    const broken = () => {
      throw new Error("store down");
    };
    await expect(deliverAlert({ alert, channel: { kind: "webhook", url: failing.url }, resolveSecret: secrets, record: broken, options: FAST })).rejects.toThrow("store down");
    expect(failing.requests).toHaveLength(1);
  });
});
