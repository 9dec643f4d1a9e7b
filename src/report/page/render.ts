import { describeCost } from "../cost.ts";
import { randomBytes } from "node:crypto";
import { SEVERITIES_MOST_SEVERE_FIRST, type PatternExample, type Report, type ReportPattern, type Severity } from "../../domain/report.ts";
import type { KeyAction, SessionSummary } from "../../domain/summary.ts";
import { assignmentSkipsLine, issueFlags, leftOutReason, notAnalysedLine, outcomesHeadline, patternFigures, percent, plural, sessionClock, triagedLine, VERDICT_TEXT } from "../format.ts";
import { escapeHtml as e, htmlWithQuotes } from "../html.ts";
import { isInternalIndicator, outcomeOf as computeOutcomeOf } from "../present.ts";
import { patternTextParts } from "../untrusted.ts";
import { aliasAnchors, patternAnchor } from "./anchors.ts";
import { inlineSafe, pageAssets } from "./assets.ts";
import { isBlockingPattern, isValidatedPattern, rankPatterns } from "./ranking.ts";
import { contentSecurityPolicy, jsonForScript, scriptSafeJson } from "./security.ts";
import { exampleKey, REPLAY_LEAD_MS, type ExampleMedia, type ExampleReplay, type PageSession, type RenderReportPageOptions, type ReportPageData } from "./types.ts";

/**
 * The report page: one self-contained HTML document (rrweb's player, the page script and styles
 * inline; replays as JSON blocks parsed only when opened). Every text from the report is escaped.
 */
export function renderReportPage(data: ReportPageData, options: RenderReportPageOptions = {}): string {
  const { report } = data;
  const nonce = options.nonce ?? randomBytes(18).toString("base64");
  const served = options.served;
  const assets = pageAssets();
  const ranked = rankPatterns(report.patterns);
  const replayBlocks = new ReplayBlocks();
  const sessionExamples = examplesBySession(ranked);
  const aliases = aliasAnchors(ranked, data.sessions);
  const patternsHtml = ranked.map((p) => renderPattern(p, report, data.examples, replayBlocks, aliases.get(p.id))).join("\n");
  const config = {
    report_id: report.id,
    served: served ? { report_id: served.reportId, api_base: served.apiBase, chat: served.chat } : null,
    replay_lead_ms: REPLAY_LEAD_MS,
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${e(contentSecurityPolicy(nonce, served !== undefined))}">
<meta name="referrer" content="no-referrer">
<title>${e(report.title)}</title>
<style nonce="${e(nonce)}">${inlineSafe(assets.rrwebStyle, "style")}</style>
<style nonce="${e(nonce)}">${inlineSafe(assets.pageStyle, "style")}</style>
</head><body class="${served?.chat ? "with-chat" : ""}">
<a class="skip" href="#page-patterns">Skip to the patterns</a>
<div class="layout">
<main>
${renderHeader(report)}
<section id="page-patterns" aria-labelledby="patterns-heading">
<h2 id="patterns-heading">Patterns</h2>
${
  report.patterns.length === 0
    ? '<p class="empty">No issue was seen in at least two sessions.</p>'
    : `${renderFilters(ranked)}
<ol class="patterns" id="page-pattern-list">
${patternsHtml}
</ol>`
}
</section>
${renderLeftOut(report)}
${renderSessions(data.sessions, sessionExamples, data.examples)}
</main>
${served?.chat ? renderChat() : ""}
</div>
<script type="application/json" id="page-config">${jsonForScript(config)}</script>
${replayBlocks.html()}
<script nonce="${e(nonce)}">${inlineSafe(assets.rrwebScript, "script")}</script>
<script nonce="${e(nonce)}">${inlineSafe(assets.pageScript, "script")}</script>
</body></html>
`;
}

function renderHeader(report: Report): string {
  const analysed = report.sessions.summarized.length;
  const { failed, skipped } = report.sessions;
  const models = Object.entries(report.models);
  const validation = report.validation;
  const notAnalysed = notAnalysedLine(report);
  const facts = [
    ["Sessions analysed", `${analysed} of ${report.sessions.requested} requested`],
    // The tool's own failures, worded apart from the users' outcomes above.
    ["Sessions not analysed", notAnalysed ? notAnalysed.replace(/^\d+ sessions? not analysed /, `${failed.length + skipped.length} `) : "0"],
    ["Analyst", report.analyst.label],
    ...(report.sessions.triaged_offline?.length ? [["Triage", triagedLine(report)!]] : []),
    ...(models.length ? [["Models", models.map(([role, model]) => `${role}: ${model}`).join(", ")]] : []),
    ["Created", report.created_at],
    ...(report.focus_area ? [["Focus", report.focus_area]] : []),
    ...(validation
      ? [
          [
            "Replay checks",
            `${validation.checked} checked (${validation.method}, ${validation.mode === "blocking" ? "blocking issues" : "all issues"}): ${validation.confirmed} confirmed, ${validation.not_confirmed} not confirmed, ${validation.inconclusive} inconclusive, ${validation.failed} could not be made`,
          ],
        ]
      : []),
    ["Model calls", `${report.usage.model_calls} (${report.usage.input_tokens} tokens in, ${report.usage.output_tokens} out)`],
    ...(report.cost ? ([["Cost", describeCost(report.cost)]] as Array<[string, string]>) : []),
  ] as const;
  const created = Date.parse(report.created_at);
  const dl = facts
    .map(([label, value]) =>
      label === "Created" && Number.isFinite(created)
        ? `<div><dt>${label}</dt><dd><time datetime="${e(new Date(created).toISOString())}">${e(new Date(created).toISOString().replace("T", " ").slice(0, 16))} UTC</time></dd></div>`
        : `<div><dt>${label}</dt><dd>${e(value)}</dd></div>`,
    )
    .join("");
  const problems: string[] = [];
  if (failed.length) {
    problems.push(
      `<details class="problems"><summary>${failed.length} session${failed.length === 1 ? "" : "s"} could not be summarized</summary><ul>${failed
        .map((f) => `<li><code>${e(f.id)}</code> (${e(f.stage)}): ${e(f.error)}</li>`)
        .join("")}</ul></details>`,
    );
  }
  if (skipped.length) {
    problems.push(
      `<details class="problems"><summary>${skipped.length} session${skipped.length === 1 ? "" : "s"} skipped</summary><ul>${skipped
        .map((s) => `<li><code>${e(s.id)}</code>: ${e(s.reason)}</li>`)
        .join("")}</ul></details>`,
    );
  }
  if (report.chunk_failures.length) {
    problems.push(
      `<details class="problems"><summary>${report.chunk_failures.length} pattern step${report.chunk_failures.length === 1 ? "" : "s"} failed</summary><ul>${report.chunk_failures
        .map((f) => `<li><code>${e(f.id)}</code> (${e(f.stage)}): ${e(f.error)}</li>`)
        .join("")}</ul></details>`,
    );
  }
  return `<header id="page-header">
<h1>${e(report.title)}</h1>
${renderOutcomes(report)}
<dl class="facts">${dl}</dl>
${problems.join("\n")}
</header>`;
}

/** The headline: what happened to the users, before anything about the tool. */
function renderOutcomes(report: Report): string {
  const o = report.outcomes;
  if (!o) return "";
  const share = (n: number) => (o.sessions === 0 ? "0%" : percent(n / o.sessions));
  const box = (kind: string, n: number, label: string, note: string) =>
    `<div class="outcome-box outcome-box-${kind}" data-outcome="${kind}"><span class="outcome-count">${n}</span> <span class="outcome-label">${label}</span> <span class="outcome-share">${share(n)}</span><span class="outcome-note">${note}</span></div>`;
  return `<section class="outcomes" aria-label="What happened to the users">
<p class="outcomes-headline">${e(outcomesHeadline(report)!)}</p>
<div class="outcome-boxes">${box("succeeded", o.succeeded, "succeeded", "reached what they came for")}${box("failed", o.failed, "failed", "an error stopped them")}${box("gave_up", o.gave_up, "gave up", "left without an error stopping them")}</div>
</section>`;
}

/** What the report leaves out, and why: the page says it as report.md does. */
function renderLeftOut(report: Report): string {
  const skips = assignmentSkipsLine(report);
  if (report.dropped_patterns.length === 0 && !skips) return "";
  return `<section id="page-left-out" aria-labelledby="left-out-heading">
<h2 id="left-out-heading">Left out</h2>
${
  report.dropped_patterns.length
    ? `<p>Patterns the analyst proposed that this report does not list, and why:</p>
<ul class="left-out">${report.dropped_patterns.map((d) => `<li><span class="left-out-name">${e(d.name)}</span>: ${e(leftOutReason(d.reason))}</li>`).join("")}</ul>`
    : ""
}
${skips ? `<p class="muted">${e(skips)}</p>` : ""}
</section>`;
}

function renderFilters(patterns: readonly ReportPattern[]): string {
  const counts = new Map<Severity, number>();
  for (const p of patterns) counts.set(p.severity, (counts.get(p.severity) ?? 0) + 1);
  const severities = SEVERITIES_MOST_SEVERE_FIRST.map(
    (s) =>
      `<label class="sev-filter"><input type="checkbox" name="severity" value="${s}" checked${counts.get(s) ? "" : " disabled"}> <span class="sev sev-${s}">${s}</span> (${counts.get(s) ?? 0})</label>`,
  ).join("");
  return `<form id="page-filters" class="filters" aria-label="Filter the patterns">
<fieldset><legend>Severity</legend>${severities}</fieldset>
<fieldset><legend>Show only</legend>
<label><input type="checkbox" name="blocking" id="filter-blocking"> blocking (an error stopped the user)</label>
<label><input type="checkbox" name="validated" id="filter-validated"> validated (confirmed on the replay)</label>
</fieldset>
<output id="filter-count" for="filter-blocking filter-validated" aria-live="polite">${patterns.length} of ${patterns.length} patterns shown</output>
</form>`;
}

function renderPattern(p: ReportPattern, report: Report, media: Record<string, ExampleMedia>, replays: ReplayBlocks, alias: string | undefined): string {
  const analysed = report.sessions.summarized.length;
  const anchor = patternAnchor(p);
  const blocking = isBlockingPattern(p);
  const validated = isValidatedPattern(p);
  const checked = p.examples.filter((x) => x.validation).length;
  const confirmed = p.examples.filter((x) => x.validation?.verdict === "confirmed").length;
  const inconclusive = p.examples.filter((x) => x.validation?.verdict === "inconclusive").length;
  const examples = p.examples.map((x, i) => renderExample(x, exampleKey(p.id, i), media[exampleKey(p.id, i)], replays)).join("\n");
  const text = patternTextParts(p);
  const figures = patternFigures(p, analysed);
  // The bare slug stays an anchor too: links written for the earlier page keep working.
  return `<li class="pattern-item" data-pattern-id="${p.id}" data-severity="${p.severity}" data-blocking="${blocking}" data-validated="${validated}">
<details class="pattern" id="${e(anchor)}">
<summary>
<span class="pattern-title"><span class="sev sev-${p.severity}">${p.severity}</span> <span class="pattern-name">${htmlWithQuotes(text.name)}</span></span>
<span class="pattern-numbers">
<span class="num" data-stat="sessions" title="sessions affected">${plural(p.stats.sessions_affected, "session")} (<span data-stat="share">${percent(p.stats.sessions_affected_ratio)}</span>)</span>
${figures.users ? `<span class="num" data-stat="users">${e(figures.users)}</span>` : ""}
<span class="num" data-stat="occurrences">${e(figures.occurrences)}</span>
${blocking ? '<span class="tag tag-blocking">blocking</span>' : ""}${validated ? '<span class="tag tag-validated">confirmed on the replay</span>' : ""}
</span>
</summary>
<div class="pattern-body">
${alias === undefined ? "" : `<span id="${e(alias)}" class="alias-anchor"></span>\n`}<p class="description">${htmlWithQuotes(text.description)}</p>
<p class="reach">Affects ${e(figures.sessions)}${figures.users ? `, ${e(figures.users)}` : ""}; ${e(figures.occurrences)}; ${e(figures.success)}.${
    checked ? ` Replay checks: ${confirmed} of ${checked} confirmed${inconclusive ? `, ${inconclusive} inconclusive` : ""}.` : ""
  } <a class="permalink" href="#${e(anchor)}">Link to this pattern</a></p>
${figures.consequences.length ? `<p class="consequences" data-stat="consequences">After it: ${e(figures.consequences.join("; "))}.</p>` : ""}
${p.severity_adjustment ? `<p class="adjusted">Severity changed from ${p.severity_adjustment.from}: ${e(p.severity_adjustment.reason)}</p>` : ""}
${indicatorsHtml(p.indicators)}
<h3>Examples (${p.examples.length})</h3>
<div class="examples">
${examples || '<p class="empty">No example was kept.</p>'}
</div>
</div>
</details>
</li>`;
}

function indicatorsHtml(indicators: readonly string[]): string {
  const shown = indicators.filter((i) => !isInternalIndicator(i));
  return shown.length ? `<h3>Indicators</h3>\n<ul class="indicators">${shown.map((i) => `<li>${e(i)}</li>`).join("")}</ul>` : "";
}

function actionLine(action: KeyAction, role: "before" | "target" | "after"): string {
  const flags = issueFlags(action);
  return `<li class="action action-${role}"${role === "target" ? ' aria-current="step"' : ""}><span class="clock">${sessionClock(action.ms_since_start)}</span> <span class="action-text">${e(action.description)}</span>${
    flags.length ? ` <span class="flags">${flags.map((f) => `<span class="flag">${e(f)}</span>`).join(" ")}</span>` : ""
  }${role === "target" ? `${action.current_url ? `<br><span class="url">${e(action.current_url)}</span>` : ""}` : ""}</li>`;
}

/** What each verdict means for the reader: only a confirmed check is proof. */
const VERDICT_MEANING = {
  confirmed: "the replay shows the problem",
  not_confirmed: "the replay does not show the problem: its flags were downgraded",
  inconclusive: "the replay neither shows nor rules out the problem: treat the issue as unchecked",
} as const;
const VERDICT_ICON = { confirmed: "✓", not_confirmed: "✗", inconclusive: "?" } as const;

function renderExample(x: PatternExample, key: string, media: ExampleMedia | undefined, replays: ReplayBlocks): string {
  const flags = issueFlags(x.target);
  const verdict = x.validation ? VERDICT_TEXT[x.validation.verdict] : undefined;
  const check = x.validation;
  const validation = check
    ? `<div class="validation validation-${check.verdict}" data-verdict="${check.verdict}"><p>Replay check: <strong class="verdict verdict-${check.verdict}">${VERDICT_ICON[check.verdict]} ${verdict}</strong> <span class="method">(${e(check.method)})</span> <span class="verdict-meaning">${VERDICT_MEANING[check.verdict]}.</span></p>${
        check.error ? `<p class="unavailable">Why: the check could not be made: ${e(check.error)}</p>` : ""
      }${check.verdict === "inconclusive" && !check.error && check.observed ? `<p class="inconclusive-reason">Why: ${e(check.observed)}</p>` : check.observed ? `<p class="observed">Seen on screen: ${e(check.observed)}</p>` : ""}${
        check.unreplayable?.length ? check.unreplayable.map((u) => `<p class="unreplayable">Not in the replay: ${e(u.note)}</p>`).join("") : ""
      }${check.changes.length ? `<p class="changes">Changed in the summary: ${e(check.changes.join("; "))}</p>` : ""}${
        check.evidence.length ? check.evidence.map((q) => `<blockquote class="evidence">${e(q)}</blockquote>`).join("") : '<p class="muted">No evidence quoted.</p>'
      }</div>`
    : '<p class="muted">Not checked against the replay.</p>';
  const clip = renderClip(media?.clip, x);
  const replay = renderReplay(media?.replay, key, replays, x);
  return `<details class="example" id="example-${e(key)}" data-example="${e(key)}" data-session="${e(x.session_id)}">
<summary><span class="clock">${sessionClock(x.target.ms_since_start)}</span> <span class="example-text">${e(x.target.description)}</span>${
    flags.length ? ` <span class="flags">${flags.map((f) => `<span class="flag">${e(f)}</span>`).join(" ")}</span>` : ""
  }${verdict ? ` <span class="verdict verdict-${x.validation!.verdict}">${VERDICT_ICON[x.validation!.verdict]} ${verdict}</span>` : ""}</summary>
<div class="example-body">
<dl class="example-facts">
<div><dt>Session</dt><dd><a href="#session-${e(x.session_id)}"><code>${e(x.session_id)}</code></a>${x.distinct_id ? ` (user <code>${e(x.distinct_id)}</code>)` : ""}, ${Math.round(x.session_duration_s)} s long</dd></div>
<div><dt>Segment</dt><dd>${e(x.segment_name)}</dd></div>
<div><dt>Step outcome</dt><dd><span class="outcome outcome-${x.segment_success ? "ok" : "failed"}">${x.segment_success ? "succeeded" : "not reached"}</span>: ${e(x.segment_outcome)}</dd></div>
</dl>
<h4>Key event, with what came before and after</h4>
<ol class="context">${x.before.map((a) => actionLine(a, "before")).join("")}${actionLine(x.target, "target")}${x.after.map((a) => actionLine(a, "after")).join("")}</ol>
${validation}
${clip}
${replay}
</div>
</details>`;
}

function renderClip(clip: ExampleMedia["clip"], x: PatternExample): string {
  if (!x.validation?.clip_key) return "";
  if (clip?.status === "not_embedded") return `<p class="muted clip-not-embedded">Clip not embedded in this page (${e(clip.reason)}).</p>`;
  if (!clip || clip.status !== "ready") return `<p class="unavailable">Clip unavailable: ${e(clip?.reason ?? "not loaded")}</p>`;
  const speed = x.validation.clip_speed;
  // Buttons name speeds in real time; the <video> plays the encoded clip, so its playbackRate is the real-time speed ÷ the encoded speed.
  // A clip from before its speed was recorded has buttons relative to the clip itself.
  const choices = speed
    ? [...new Set([0.5, 1, speed, 4, 8])].sort((a, b) => a - b).map((real) => ({ rate: real / speed, label: `${formatRate(real)} real time`, pressed: real === speed }))
    : [0.25, 0.5, 1, 2, 4].map((rate) => ({ rate, label: formatRate(rate), pressed: rate === 1 }));
  const encoded = speed === undefined ? "" : speed === 1 ? ", at real time" : `, ${speed > 1 ? "sped up" : "slowed down"} to ${formatRate(speed)} real time`;
  return `<figure class="clip" data-clip-speed="${speed ?? ""}"><video controls muted playsinline preload="none" src="${e(clip.data_url)}" aria-label="Rendered clip of the moment"></video>
<div class="clip-speed" role="group" aria-label="Playback speed">Speed: ${choices
    .map((choice) => `<button type="button" class="clip-rate" data-rate="${Number(choice.rate.toFixed(4))}" aria-pressed="${choice.pressed}">${choice.label}</button>`)
    .join("")}</div>
<figcaption>The clip the replay check looked at${encoded}.</figcaption></figure>`;
}

function formatRate(rate: number): string {
  return `${Number(rate.toFixed(2))}x`;
}

function renderReplay(replay: ExampleReplay | undefined, key: string, replays: ReplayBlocks, x: PatternExample): string {
  if (replay?.status === "not_embedded") {
    // The session id lets a reader find the recording (serve, Studio, PostHog) although the page does not carry it.
    return `<p class="muted replay-not-embedded">Replay not embedded in this page (${e(replay.reason)}): session <code>${e(x.session_id)}</code> at ${sessionClock(x.target.ms_since_start)}.</p>`;
  }
  if (!replay || replay.status !== "ready") {
    return `<p class="unavailable replay-unavailable">Replay unavailable: ${e(replay?.status === "unavailable" ? replay.reason : "the recording was not loaded")}</p>`;
  }
  const dataId = replays.add(replay);
  return `<div class="replay" data-replay="${e(key)}" data-events="${dataId}" data-start-ms="${replay.start_ms}" data-moment-ms="${replay.moment_ms}">
<button type="button" class="replay-open" data-replay="${e(key)}">Play the replay from ${Math.round((replay.moment_ms - replay.start_ms) / 1000)} s before the moment</button>
<div class="replay-slot"></div>
</div>`;
}

/** Replay events as JSON blocks, one per distinct window (examples of the same moment share one). */
class ReplayBlocks {
  private readonly ids = new Map<ExampleReplay, string>();
  private readonly blocks: string[] = [];

  add(replay: ExampleReplay & { status: "ready" }): string {
    let id = this.ids.get(replay);
    if (!id) {
      id = `replay-events-${this.ids.size + 1}`;
      this.ids.set(replay, id);
      this.blocks.push(`<script type="application/json" id="${id}">${scriptSafeJson(replay.events_json)}</script>`);
    }
    return id;
  }

  html(): string {
    return this.blocks.join("\n");
  }
}

/** An example as the session list links to it. */
interface SessionExample {
  pattern: ReportPattern;
  example: PatternExample;
  key: string;
}

function examplesBySession(patterns: readonly ReportPattern[]): Map<string, SessionExample[]> {
  const map = new Map<string, SessionExample[]>();
  for (const pattern of patterns) {
    pattern.examples.forEach((example, i) => {
      const list = map.get(example.session_id) ?? [];
      list.push({ pattern, example, key: exampleKey(pattern.id, i) });
      map.set(example.session_id, list);
    });
  }
  return map;
}

function renderSessions(sessions: readonly PageSession[], examples: ReturnType<typeof examplesBySession>, media: Record<string, ExampleMedia>): string {
  const items = sessions.map((s) => renderSession(s, examples.get(s.session_id) ?? [], media)).join("\n");
  return `<section id="page-sessions" aria-labelledby="sessions-heading">
<h2 id="sessions-heading">Sessions (${sessions.length})</h2>
${sessions.length ? `<ul class="sessions">\n${items}\n</ul>` : '<p class="empty">No session was summarized.</p>'}
</section>`;
}

function renderSession(s: PageSession, examples: readonly SessionExample[], media: Record<string, ExampleMedia>): string {
  const summary: SessionSummary | undefined = s.summary;
  // Worded as the headline counts it (`computeOutcomes`): succeeded, failed (an error stopped the user), gave up.
  const kind = summary ? computeOutcomeOf(summary) : undefined;
  const outcome = kind
    ? `<span class="outcome outcome-${kind === "succeeded" ? "ok" : kind === "failed" ? "failed" : "gave-up"}">${kind === "gave_up" ? "gave up" : kind}</span>`
    : '<span class="outcome outcome-unknown">unknown</span>';
  // An example without an embedded replay is still linked: its context and verdict are on the page.
  const replayLinks = examples.length
    ? `<p class="replay-links">Examples: ${examples
        .map(({ pattern, example, key }) =>
          media[key]?.replay.status === "ready"
            ? `<a href="#replay-${e(key)}">${sessionClock(example.target.ms_since_start)} (${e(pattern.name)}), replay</a>`
            : `<a href="#example-${e(key)}">${sessionClock(example.target.ms_since_start)} (${e(pattern.name)})</a>`,
        )
        .join(", ")}</p>`
    : '<p class="muted">No replay embedded: none of its moments is a pattern example.</p>';
  const body = summary
    ? `<p>${e(summary.session_outcome.summary)}</p>
<ol class="segments">${summary.segments
        .map(
          (seg) =>
            `<li><strong>${e(seg.name)}</strong> <span class="outcome outcome-${seg.outcome.success ? "ok" : "failed"}">${seg.outcome.success ? "succeeded" : "failed"}</span>: ${e(seg.outcome.summary)}</li>`,
        )
        .join("")}</ol>`
    : `<p class="unavailable">Summary unavailable: ${e(s.unavailable ?? "unknown reason")}</p>`;
  const when = summary ? ` · ${e(summary.start.replace("T", " ").slice(0, 16))} · ${Math.round(summary.duration_s)} s` : "";
  return `<li id="session-${e(s.session_id)}"><details class="session"><summary><code>${e(s.session_id)}</code> ${outcome}${when}</summary>
<div class="session-body">${body}${replayLinks}</div></details></li>`;
}

function renderChat(): string {
  return `<aside id="page-chat" aria-labelledby="chat-heading">
<h2 id="chat-heading">Ask about this report</h2>
<div id="chat-log" class="chat-log" role="log" aria-live="polite"></div>
<form id="chat-form">
<label for="chat-input">Your question</label>
<textarea id="chat-input" name="content" rows="3" required maxlength="8000"></textarea>
<button type="submit" id="chat-send">Send</button>
<p id="chat-status" class="chat-status" role="status"></p>
</form>
</aside>`;
}
