import { randomBytes } from "node:crypto";
import type { AlertKind, IssueState, SweepStatus } from "../../domain/monitor.ts";
import { SEVERITIES_MOST_SEVERE_FIRST, compareSeverity, type Severity } from "../../domain/report.ts";
import { VERDICT_TEXT } from "../../report/format.ts";
import { escapeHtml as e } from "../../report/html.ts";
import { inlineSafe } from "../../report/page/assets.ts";
import { issuesPageAssets } from "./assets.ts";
import { plural, renderTrendChart } from "./chart.ts";
import { IssuesPageError } from "./load.ts";
import { issuesPageContentSecurityPolicy, safeHref } from "./security.ts";
import type { IssuesPageAlert, IssuesPageData, IssuesPageExample, IssuesPageIssue, IssuesPageMonitor, IssuesPageSweep, RenderIssuesPageOptions } from "./types.ts";

/** Groups in the order they need attention: what came back, what is new, what goes on; what was put aside and what ended last. */
export const STATE_ORDER: readonly IssueState[] = ["regressed", "new", "ongoing", "snoozed", "muted", "resolved"];

const STATE_HEADING: Record<IssueState, string> = {
  candidate: "Candidates: seen in too few sessions so far",
  regressed: "Regressed: seen again after they were resolved",
  new: "New: seen for the first time",
  ongoing: "Ongoing: seen again since",
  snoozed: "Snoozed: counted, no alerts until the date",
  muted: "Muted: counted, never alerted",
  resolved: "Resolved: not seen for a while",
};

const SWEEP_STATUS_TEXT: Record<SweepStatus, string> = { running: "running", done: "done", failed: "failed", budget_reached: "budget reached", nothing_new: "nothing new" };
const ALERT_KIND_TEXT: Record<AlertKind, string> = {
  new_issue: "new issue",
  regression: "regression",
  threshold: "threshold",
  recovery: "recovery",
  yes_rate: "yes rate",
  budget_reached: "budget reached",
};
const VERDICT_MEANING = {
  confirmed: "the replay shows the problem",
  not_confirmed: "the replay does not show the problem",
  inconclusive: "the replay neither shows nor rules out the problem",
} as const;

/** Nonces go into the policy and attributes: only base64-like text of a useful length. */
const NONCE = /^[A-Za-z0-9+/_-]{16,}={0,2}$/;

/**
 * The issues page: one self-contained HTML document (styles, script and charts inline; nothing
 * loaded from anywhere), the same whether written to a file or served. Every text of the data is
 * escaped; links are kept only when they go to a web page (`safeHref`), checked again here so hand-made
 * data gets the same treatment as loaded data.
 */
export function renderIssuesPage(data: IssuesPageData, options: RenderIssuesPageOptions = {}): string {
  const nonce = options.nonce ?? randomBytes(18).toString("base64");
  if (!NONCE.test(nonce)) throw new IssuesPageError("invalid_option", "issues page: the nonce must be at least 16 base64 characters");
  const assets = issuesPageAssets();
  const title = `Issues · ${data.project}`;
  const monitorNames = new Map(data.monitors.map((m) => [m.id, m.name]));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${e(issuesPageContentSecurityPolicy(nonce))}">
<meta name="referrer" content="no-referrer">
<title>${e(title)}</title>
<style nonce="${e(nonce)}">${inlineSafe(assets.style, "style")}</style>
</head><body>
<a class="skip" href="#issues">Skip to the issues</a>
<main>
<header id="page-header">
<h1>Issues <span class="project">${e(data.project)}</span></h1>
<p class="generated">As of ${time(data.generated_at)}${data.trend_days.length ? ` · trends: sessions per day over the last ${plural(data.trend_days.length, "day")} (UTC)` : ""}${
    data.monitor_id === undefined ? "" : ` · monitor ${e(monitorNames.get(data.monitor_id) ?? data.monitor_id)} only`
  }</p>
</header>
${renderMonitors(data)}
${renderIssues(data, monitorNames)}
</main>
<script nonce="${e(nonce)}">${inlineSafe(assets.script, "script")}</script>
</body></html>
`;
}

// ---- monitors

function renderMonitors(data: IssuesPageData): string {
  return `<section id="monitors" aria-labelledby="monitors-heading">
<h2 id="monitors-heading">Monitors (${data.monitors.length})</h2>
${data.monitors.length ? `<ul class="monitors">\n${data.monitors.map((m) => renderMonitor(m, data)).join("\n")}\n</ul>` : '<p class="empty">No monitor watches this project yet.</p>'}
</section>`;
}

function renderMonitor(m: IssuesPageMonitor, data: IssuesPageData): string {
  const facts: Array<[string, string]> = [];
  facts.push(["Last sweep", m.last_sweep ? sweepHtml(m.last_sweep) : '<span class="muted">none yet</span>']);
  if (m.last_finished_sweep) facts.push(["Last finished sweep", sweepHtml(m.last_finished_sweep)]);
  facts.push(["Next sweep", nextSweepHtml(m, data.generated_at)]);
  if (m.question) facts.push(["Question", `<q class="question">${e(m.question.text)}</q> <span class="muted">(${questionKind(m.question.answer)})</span>`]);
  if (m.question) facts.push([m.question.answer === "yes_no" ? "Yes rate" : "Answers", answersHtml(m)]);
  if (m.recent_alerts.length) facts.push(["Recent alerts", alertsHtml(m.recent_alerts)]);
  return `<li class="monitor" id="monitor-${e(m.id)}" data-monitor="${e(m.id)}">
<h3><span class="monitor-name">${e(m.name)}</span>${m.paused ? ' <span class="tag tag-paused">paused</span>' : ""} <span class="muted monitor-every">every ${plural(m.interval_minutes, "minute")}</span></h3>
<dl class="facts">${facts.map(([label, value]) => `<div><dt>${label}</dt><dd>${value}</dd></div>`).join("")}</dl>
</li>`;
}

function sweepHtml(s: IssuesPageSweep): string {
  const status = knownOr(s.status, SWEEP_STATUS_TEXT);
  const cost = `${plural(s.sessions, "session")}, ${plural(s.model_calls, "model call")}, ${money(s.cost_usd)}`;
  // A sweep under way has counts so far only: said so, with when it started.
  const when = s.status === "running" ? `since ${time(s.started_at)}: ${e(cost)} so far` : `${time(s.finished_at ?? s.started_at)}: ${e(cost)}`;
  return `<span class="sweep" data-sweep-status="${e(s.status)}"><span class="sweep-status sweep-status-${cssToken(s.status)}">${e(status)}</span> ${when}${
    s.message ? `<span class="sweep-message">: ${e(s.message)}</span>` : ""
  }</span>`;
}

function nextSweepHtml(m: IssuesPageMonitor, generatedAt: string): string {
  if (m.paused || m.next_sweep_at === undefined) return '<span class="muted">paused: no sweep runs until it is resumed</span>';
  if (Date.parse(m.next_sweep_at) <= Date.parse(generatedAt)) return "due now: the scheduler takes it at its next look";
  return time(m.next_sweep_at);
}

function questionKind(answer: string): string {
  return answer === "yes_no" ? "yes or no" : answer === "tags" ? "tags" : answer === "score" ? "score 1–5" : e(answer);
}

function answersHtml(m: IssuesPageMonitor): string {
  const a = m.answers;
  if (!a || a.sessions === 0) return '<span class="muted">no answer yet in the trend days</span>';
  const since = ` since ${time(a.since)}`;
  if (a.answer === "yes_no") {
    return `<span class="yes-rate" data-yes="${a.yes}" data-sessions="${a.sessions}"><strong>${percent(a.yes / a.sessions)}</strong> said yes: ${a.yes} of ${plural(a.sessions, "session")} answering yes or no${since}</span>`;
  }
  const capped = a.capped ? " (the latest answers only)" : "";
  if (a.answer === "tags") {
    const tags = a.tags.map((t) => `<span class="answer-tag">${e(t.tag)}</span> ${t.sessions}`).join(", ");
    return `${plural(a.sessions, "session")} answered${since}${capped}${tags ? `: ${tags}` : ""}`;
  }
  return `${plural(a.sessions, "session")} answered${since}${capped}${a.mean === undefined ? "" : `: mean score ${a.mean.toFixed(1)}`}`;
}

function alertsHtml(alerts: readonly IssuesPageAlert[]): string {
  return `<ul class="alerts">${alerts.map((a) => `<li data-alert-kind="${e(a.kind)}">${e(knownOr(a.kind, ALERT_KIND_TEXT))} ${time(a.created_at)}</li>`).join("")}</ul>`;
}

// ---- issues

function renderIssues(data: IssuesPageData, monitorNames: ReadonlyMap<string, string>): string {
  const heading = `<h2 id="issues-heading">Issues (${data.issues.length})</h2>`;
  if (data.issues.length === 0) {
    return `<section id="issues" aria-labelledby="issues-heading">
${heading}
<p class="empty" id="issues-empty">${emptyLine(data)}</p>
</section>`;
  }
  const groups = groupByState(data.issues);
  return `<section id="issues" aria-labelledby="issues-heading">
${heading}
${renderFilters(data, groups)}
<div id="issues-groups">
${groups
  .map(
    ({ state, issues }) => `<section class="state-group" data-state="${e(state)}" aria-labelledby="state-${cssToken(state)}-heading">
<h3 id="state-${cssToken(state)}-heading">${e(knownOr(state, STATE_HEADING))} (${issues.length})</h3>
<ol class="issues">
${issues.map((issue) => renderIssue(issue, data, monitorNames)).join("\n")}
</ol>
</section>`,
  )
  .join("\n")}
</div>
</section>`;
}

/** What an empty page says: why there is nothing yet, and when there will be. */
function emptyLine(data: IssuesPageData): string {
  const active = data.monitors.filter((m) => !m.paused);
  if (data.monitors.length === 0) {
    return "No issues yet: no monitor watches this project. Add one (<code>session-summaries monitors add</code>); its first sweep runs when the scheduler (<code>session-summaries watch</code>) next looks.";
  }
  if (active.length === 0) return "No issues yet: every monitor is paused, so no sweep runs. Resume one to start watching.";
  const swept = active.filter((m) => m.last_sweep !== undefined);
  const next = active
    .map((m) => m.next_sweep_at)
    .filter((at): at is string => at !== undefined && Number.isFinite(Date.parse(at)))
    .sort()[0];
  const when = next === undefined || Date.parse(next) <= Date.parse(data.generated_at) ? "as soon as the scheduler (<code>session-summaries watch</code>) next looks" : `at ${time(next)}`;
  if (swept.length === 0) {
    return `No issues yet: the first sweep runs ${when} (or now: <code>session-summaries monitors run-once &lt;monitor&gt;</code>).`;
  }
  const last = swept.map((m) => m.last_sweep!).sort((a, b) => b.started_at.localeCompare(a.started_at))[0]!;
  return `No issues yet: the last sweep (${time(last.finished_at ?? last.started_at)}, ${e(plural(last.sessions, "session"))}) found none. The next sweep runs ${when}.`;
}

function groupByState(issues: readonly IssuesPageIssue[]): Array<{ state: string; issues: IssuesPageIssue[] }> {
  const byState = new Map<string, IssuesPageIssue[]>();
  for (const issue of issues) {
    const list = byState.get(issue.state) ?? [];
    list.push(issue);
    byState.set(issue.state, list);
  }
  // States this page does not know (a newer store) still show, after the known ones.
  const order = [...STATE_ORDER, ...[...byState.keys()].filter((s) => !(STATE_ORDER as readonly string[]).includes(s)).sort()];
  return order.filter((state) => byState.has(state)).map((state) => ({ state, issues: byState.get(state)!.sort(issueOrder) }));
}

/** Most severe first, then the most recently seen, then the oldest id. */
function issueOrder(a: IssuesPageIssue, b: IssuesPageIssue): number {
  const bySeverity = isSeverity(a.severity) && isSeverity(b.severity) ? compareSeverity(a.severity, b.severity) : 0;
  return bySeverity || b.last_seen.localeCompare(a.last_seen) || a.id - b.id;
}

function renderFilters(data: IssuesPageData, groups: ReadonlyArray<{ state: string; issues: readonly IssuesPageIssue[] }>): string {
  const states = groups
    .map(({ state, issues }) => `<label><input type="checkbox" name="state" value="${e(state)}" checked> <span class="state state-${cssToken(state)}">${e(state)}</span> (${issues.length})</label>`)
    .join("");
  const severityCounts = new Map<string, number>();
  for (const issue of data.issues) severityCounts.set(issue.severity, (severityCounts.get(issue.severity) ?? 0) + 1);
  const severities = [...SEVERITIES_MOST_SEVERE_FIRST, ...[...severityCounts.keys()].filter((s) => !isSeverity(s))]
    .filter((s) => severityCounts.has(s))
    .map((s) => `<label><input type="checkbox" name="severity" value="${e(s)}" checked> <span class="sev sev-${cssToken(s)}">${e(s)}</span> (${severityCounts.get(s)})</label>`)
    .join("");
  const kinds = [...new Set(data.issues.map((i) => i.kind))].sort();
  const kindSelect = `<label>Kind <select name="kind"><option value="">any (${kinds.length})</option>${kinds.map((k) => `<option value="${e(k)}">${e(k)}</option>`).join("")}</select></label>`;
  const monitorSelect =
    data.monitors.length > 1
      ? `<label>Monitor <select name="monitor"><option value="">any</option>${data.monitors.map((m) => `<option value="${e(m.id)}">${e(m.name)}</option>`).join("")}</select></label>`
      : "";
  return `<form id="issues-filters" class="filters" aria-label="Filter the issues" hidden>
<fieldset><legend>State</legend>${states}</fieldset>
<fieldset><legend>Severity</legend>${severities}</fieldset>
<fieldset><legend class="sr-only">Kind and monitor</legend>${kindSelect}${monitorSelect}</fieldset>
<output id="issues-shown" aria-live="polite">${data.issues.length} of ${plural(data.issues.length, "issue")} shown</output>
</form>`;
}

function renderIssue(issue: IssuesPageIssue, data: IssuesPageData, monitorNames: ReadonlyMap<string, string>): string {
  const id = Number.isSafeInteger(issue.id) ? issue.id : 0;
  const facts: Array<[string, string]> = [
    ["First seen", time(issue.first_seen)],
    ["Last seen", time(issue.last_seen)],
    ["Sessions affected", `<span data-stat="sessions">${e(String(issue.sessions_total))}</span>`],
    ["Users affected", `<span data-stat="users">${e(String(issue.users_total))}</span>`],
  ];
  if (issue.state === "snoozed") {
    facts.push([
      "Snoozed until",
      issue.snoozed_until
        ? `${time(issue.snoozed_until)}${Date.parse(issue.snoozed_until) <= Date.parse(data.generated_at) ? " (passed: the next sweep that sees it moves it on)" : ""}`
        : '<span class="muted">no date</span>',
    ]);
  }
  if (data.monitors.length > 1) facts.push(["Monitor", e(monitorNames.get(issue.monitor_id) ?? issue.monitor_id)]);
  if (issue.recent_alerts.length) facts.push(["Alerts", alertsHtml(issue.recent_alerts)]);
  if (issue.ticket) {
    const name = e(`${issue.ticket.tracker}${issue.ticket.key ? ` ${issue.ticket.key}` : ""}`);
    const href = safeHref(issue.ticket.href);
    facts.push(["Ticket", href ? `<a class="ticket" href="${e(href)}" rel="noopener noreferrer">${name}</a>` : name]);
  }
  const stateLabel = issue.state === "snoozed" && issue.snoozed_until ? `snoozed until ${shortTime(issue.snoozed_until)}` : issue.state;
  return `<li class="issue" id="issue-${id}" data-issue-id="${id}" data-state="${e(issue.state)}" data-severity="${e(issue.severity)}" data-kind="${e(issue.kind)}" data-monitor="${e(issue.monitor_id)}">
<article aria-labelledby="issue-${id}-title">
<h4 class="issue-heading"><span class="state state-${cssToken(issue.state)}">${e(stateLabel)}</span> <span class="sev sev-${cssToken(issue.severity)}">${e(issue.severity)}</span> <span class="kind">${e(issue.kind)}</span> <a class="permalink" href="#issue-${id}">#${id}</a> <span class="issue-title" id="issue-${id}-title">${e(issue.title)}</span></h4>
<p class="issue-description">${e(issue.description)}</p>
<div class="issue-main">
<dl class="facts issue-facts">${facts.map(([label, value]) => `<div><dt>${label}</dt><dd>${value}</dd></div>`).join("")}</dl>
<figure class="trend">${renderTrendChart(id, data.trend_days, issue.days)}<figcaption>Sessions per day</figcaption></figure>
</div>
<h5>Best examples (${issue.examples.length})</h5>
${issue.examples.length ? `<ul class="examples">${issue.examples.map(renderExample).join("")}</ul>` : '<p class="muted">No example kept.</p>'}
</article>
</li>`;
}

function renderExample(x: IssuesPageExample): string {
  const href = safeHref(x.replay_href);
  const verdict = x.verdict && x.verdict in VERDICT_TEXT ? x.verdict : undefined;
  const check = verdict
    ? `<span class="verdict verdict-${verdict}" data-verdict="${verdict}" title="${VERDICT_MEANING[verdict]}">replay check: ${VERDICT_TEXT[verdict]}</span>`
    : '<span class="verdict verdict-none muted" data-verdict="none">not checked against the replay</span>';
  const link = href ? `<a class="replay-link" href="${e(href)}" rel="noopener noreferrer">Open the replay</a>` : '<span class="muted replay-missing">no replay link</span>';
  return `<li class="example" data-session="${e(x.session_id)}" data-report="${e(x.report_id)}">
<p class="example-text">${e(x.description)}</p>
<p class="example-facts">${time(x.timestamp)} · session <code>${e(x.session_id)}</code>${x.url ? ` · on <code class="url">${e(x.url)}</code>` : ""} · ${check} · ${link}</p>
</li>`;
}

// ---- small formats

/** `<time>` in UTC to the minute; text that is not a time is shown as it is, escaped. */
function time(iso: string): string {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return e(iso);
  const d = new Date(at).toISOString();
  return `<time datetime="${d}">${shortTime(d)}</time>`;
}

function shortTime(iso: string): string {
  const at = Date.parse(iso);
  return Number.isFinite(at) ? `${new Date(at).toISOString().replace("T", " ").slice(0, 16)} UTC` : iso;
}

/** Dollars: cents for sums of a dollar or more, four decimals below (a sweep of a few sessions costs fractions of a cent). */
function money(usd: number): string {
  if (!Number.isFinite(usd)) return "cost unknown";
  if (usd === 0) return "$0";
  return `$${usd.toFixed(usd >= 1 ? 2 : 4)}`;
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

function knownOr<K extends string>(value: string, table: Record<K, string>): string {
  return Object.hasOwn(table, value) ? table[value as K] : value;
}

function isSeverity(value: string): value is Severity {
  return (SEVERITIES_MOST_SEVERE_FIRST as readonly string[]).includes(value);
}

/** A value as a CSS class or id fragment: known states, severities and statuses pass, anything else is `other`. */
function cssToken(value: string): string {
  return /^[a-z_]{1,40}$/.test(value) ? value : "other";
}
