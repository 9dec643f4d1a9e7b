import { SessionSummariesError } from "../domain/errors.ts";
import { signBody, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "../watch/alerts/deliver.ts";
import type { TicketLink, TicketTracker } from "../watch/store/types.ts";
import type { FormattedTicket } from "./format.ts";

/**
 * The trackers a ticket goes to, over their documented HTTP APIs with `fetch`:
 * - GitHub REST: `POST /repos/{owner}/{repo}/issues`, comments `POST …/issues/{n}/comments`,
 *   re-open `PATCH …/issues/{n}` `{state: "open"}`; `Authorization: Bearer <token>`.
 * - Linear GraphQL: `issueCreate(input: {teamId, title, description})`, `commentCreate(input: {issueId, body})`;
 *   `Authorization: <api key>`.
 * - A generic webhook: JSON signed with HMAC-SHA256 like the alert webhooks.
 * No retries: a create that timed out may have succeeded, and a second would be a duplicate.
 * Errors are `TicketError`s that never carry a credential (the tracker's answer is scrubbed too).
 */

export class TicketError extends SessionSummariesError {}

export type TicketFetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal }) => Promise<Response>;

/** What a tracker says about the ticket it made. */
export type CreatedTicket = Pick<TicketLink, "external_id" | "key" | "url">;

export interface TrackerClient {
  readonly tracker: TicketTracker;
  create(ticket: FormattedTicket, context: { project: string; issueId: number }): Promise<CreatedTicket>;
  /** Tells the tracker the issue regressed (GitHub: a comment, and the issue re-opened if it was closed). */
  regressed(link: TicketLink, comment: string, context: { project: string }): Promise<void>;
}

export interface TrackerClientOptions {
  fetch?: TicketFetch;
  timeoutMs: number;
  now?: () => Date;
}

/** The ticket header a webhook receiver may dedupe on: the same for every call about one issue. */
export const TICKET_KEY_HEADER = "X-Session-Summaries-Ticket";
const USER_AGENT = "session-summaries";

/** Calls one endpoint; a non-2xx answer or a network failure is a `TicketError` naming the tracker, never a secret. */
async function call(
  options: TrackerClientOptions,
  label: string,
  secrets: readonly string[],
  url: string,
  init: { method: string; headers: Record<string, string>; body?: unknown },
): Promise<unknown> {
  const doFetch: TicketFetch = options.fetch ?? ((u, i) => fetch(u, i));
  const scrub = (text: string) => secrets.filter((secret) => secret.length > 0).reduce((out, secret) => out.split(secret).join("***"), text);
  let response: Response;
  try {
    response = await doFetch(url, {
      method: init.method,
      headers: { "User-Agent": USER_AGENT, ...init.headers, ...(init.body !== undefined ? { "Content-Type": "application/json" } : {}) },
      ...(init.body !== undefined ? { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) } : {}),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const reason = error instanceof Error ? (error.name === "TimeoutError" ? `no answer within ${options.timeoutMs} ms` : error.message) : String(error);
    throw new TicketError("tracker_unreachable", `${label}: ${scrub(reason)}`);
  }
  const text = await response.text().catch(() => "");
  if (!response.ok) {
    const detail = scrub(text.replace(/\s+/g, " ").slice(0, 300));
    const code = response.status === 401 || response.status === 403 ? "tracker_refused_credentials" : "tracker_failed";
    throw new TicketError(code, `${label}: HTTP ${response.status}${detail ? `: ${detail}` : ""}`);
  }
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function githubClient(settings: { token: string; repo: string; apiUrl: string }, options: TrackerClientOptions): TrackerClient {
  const base = `${settings.apiUrl.replace(/\/+$/, "")}/repos/${settings.repo}/issues`;
  const headers = { Authorization: `Bearer ${settings.token}`, Accept: "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28" };
  const label = `GitHub ${settings.repo}`;
  const secrets = [settings.token];
  return {
    tracker: "github",
    async create(ticket) {
      const answer = (await call(options, label, secrets, base, { method: "POST", headers, body: { title: ticket.title, body: ticket.body } })) as { number?: unknown; html_url?: unknown } | undefined;
      if (typeof answer?.number !== "number") throw new TicketError("tracker_failed", `${label}: the answer has no issue number`);
      return { external_id: String(answer.number), key: `#${answer.number}`, ...(typeof answer.html_url === "string" ? { url: answer.html_url } : {}) };
    },
    async regressed(link, comment) {
      const issue = `${base}/${encodeURIComponent(link.external_id ?? "")}`;
      await call(options, label, secrets, `${issue}/comments`, { method: "POST", headers, body: { body: comment } });
      const current = (await call(options, label, secrets, issue, { method: "GET", headers })) as { state?: unknown } | undefined;
      if (current?.state === "closed") await call(options, label, secrets, issue, { method: "PATCH", headers, body: { state: "open" } });
    },
  };
}

const LINEAR_CREATE = "mutation IssueCreate($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id identifier url } } }";
const LINEAR_COMMENT = "mutation CommentCreate($input: CommentCreateInput!) { commentCreate(input: $input) { success } }";

export function linearClient(settings: { apiKey: string; teamId: string; apiUrl: string }, options: TrackerClientOptions): TrackerClient {
  const label = "Linear";
  const secrets = [settings.apiKey];
  const graphql = async (query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const answer = (await call(options, label, secrets, settings.apiUrl, { method: "POST", headers: { Authorization: settings.apiKey }, body: { query, variables } })) as
      { data?: Record<string, unknown>; errors?: Array<{ message?: unknown }> } | undefined;
    if (answer?.errors?.length) {
      const messages = answer.errors.map((error) => String(error.message ?? "error")).join("; ");
      throw new TicketError("tracker_failed", `${label}: ${secrets.reduce((out, secret) => out.split(secret).join("***"), messages).slice(0, 300)}`);
    }
    return answer?.data ?? {};
  };
  return {
    tracker: "linear",
    async create(ticket) {
      const data = await graphql(LINEAR_CREATE, { input: { teamId: settings.teamId, title: ticket.title, description: ticket.body } });
      const created = data.issueCreate as { success?: boolean; issue?: { id?: unknown; identifier?: unknown; url?: unknown } } | undefined;
      if (!created?.success || typeof created.issue?.id !== "string") throw new TicketError("tracker_failed", `${label}: issueCreate did not succeed`);
      const { id, identifier, url } = created.issue;
      return { external_id: id, ...(typeof identifier === "string" ? { key: identifier } : {}), ...(typeof url === "string" ? { url } : {}) };
    },
    async regressed(link, comment) {
      const data = await graphql(LINEAR_COMMENT, { input: { issueId: link.external_id, body: comment } });
      if (!(data.commentCreate as { success?: boolean } | undefined)?.success) throw new TicketError("tracker_failed", `${label}: commentCreate did not succeed`);
    },
  };
}

/**
 * A generic receiver: `{event: "ticket.created" | "ticket.regressed", project, issue_id, title, body}`,
 * signed like the alert webhooks (`X-Session-Summaries-Signature: sha256=<HMAC of the raw body>`)
 * when a secret is set. The receiver may answer `{id, url}` to name what it made.
 */
export function webhookClient(settings: { url: string; secret?: string }, options: TrackerClientOptions): TrackerClient {
  let host = "webhook";
  try {
    host = new URL(settings.url).host;
  } catch {
    // The config checked the URL; a label must not throw anyway.
  }
  const label = `ticket webhook ${host}`;
  // The URL itself may carry a token (its path or query): kept out of messages too.
  const secrets = [settings.secret ?? "", settings.url];
  const send = async (payload: Record<string, unknown>, key: string): Promise<unknown> => {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { [TIMESTAMP_HEADER]: String(Math.floor((options.now?.() ?? new Date()).getTime() / 1000)), [TICKET_KEY_HEADER]: key };
    if (settings.secret) headers[SIGNATURE_HEADER] = signBody(settings.secret, body);
    return call(options, label, secrets, settings.url, { method: "POST", headers, body });
  };
  return {
    tracker: "webhook",
    async create(ticket, context) {
      const key = `${context.project}/issue-${context.issueId}`;
      const answer = (await send({ event: "ticket.created", project: context.project, issue_id: context.issueId, title: ticket.title, body: ticket.body }, key)) as
        { id?: unknown; url?: unknown } | undefined;
      const id = typeof answer?.id === "string" || typeof answer?.id === "number" ? String(answer.id) : key;
      return { external_id: id, ...(typeof answer?.url === "string" ? { url: answer.url } : {}) };
    },
    async regressed(link, comment, context) {
      await send({ event: "ticket.regressed", project: context.project, issue_id: link.issue_id, ticket_id: link.external_id, body: comment }, `${context.project}/issue-${link.issue_id}`);
    },
  };
}
