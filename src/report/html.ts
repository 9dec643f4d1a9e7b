import type { Report } from "../domain/report.ts";
import { issueFlags, leftOutReason, notAnalysedLine, outcomesHeadline, patternFiguresLine, sessionClock, VERDICT_TEXT } from "./format.ts";
import { isInternalIndicator } from "./present.ts";
import { ORIGIN_TEXT, patternTextParts, type TextPart } from "./untrusted.ts";

/** Everything in the report is data written by models or by the analysed site: always escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** The tool's words as text; runs of page or error text as `<q>` quotations that say where they are from. */
export function htmlWithQuotes(parts: readonly TextPart[]): string {
  return parts
    .map((part) => (part.from ? `<q class="untrusted" data-from="${part.from}">${escapeHtml(part.text)}</q> <span class="quote-source">(${ORIGIN_TEXT[part.from]})</span>` : escapeHtml(part.text)))
    .join("");
}

const SEVERITY_COLORS = { critical: "#b91c1c", high: "#c2410c", medium: "#a16207", low: "#4b5563" } as const;

/** A plain, self-contained page of the report (no scripts, no external resources). */
export function renderHtml(report: Report): string {
  const e = escapeHtml;
  const analysed = report.sessions.summarized.length;
  const patterns = report.patterns
    .map((p) => {
      const text = patternTextParts(p);
      return `<section class="pattern" id="${e(p.slug)}">
<h2><a href="#${e(p.slug)}">${p.id}. ${htmlWithQuotes(text.name)}</a> <span class="sev" style="background:${SEVERITY_COLORS[p.severity]}">${p.severity}</span></h2>
<p>${htmlWithQuotes(text.description)}</p>
<p class="stats">${e(patternFiguresLine(p, analysed))}</p>
<ul>${p.indicators
        .filter((i) => !isInternalIndicator(i))
        .map((i) => `<li>${e(i)}</li>`)
        .join("")}</ul>
<details><summary>${p.examples.length} examples</summary><ol>${p.examples
        .map(
          (x) =>
            `<li><code>${e(x.session_id)}</code> at ${sessionClock(x.target.ms_since_start)} in “${e(x.segment_name)}”: ${e(x.target.description)}${
              issueFlags(x.target).length ? ` <em>(${e(issueFlags(x.target).join(", "))})</em>` : ""
            }${x.validation ? ` — replay check: <strong class="verdict-${x.validation.verdict}">${VERDICT_TEXT[x.validation.verdict]}</strong>` : ""}</li>`,
        )
        .join("")}</ol></details>
</section>`;
    })
    .join("\n");
  const headline = outcomesHeadline(report);
  const notAnalysed = notAnalysedLine(report);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${e(report.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#111}
.sev{color:#fff;border-radius:4px;padding:0 .4em;font-size:.8em;text-transform:uppercase}.stats{color:#444}
q.untrusted{font-style:italic}.quote-source{color:#555;font-size:.85em}.verdict-inconclusive{color:#92400e}.verdict-not_confirmed{color:#4b5563}
.pattern{border-top:1px solid #ddd;padding-top:.5rem}code{background:#f3f4f6;padding:0 .2em;word-break:break-all}</style>
</head><body>
<h1>${e(report.title)}</h1>
<p>${analysed} sessions analysed by ${e(report.analyst.label)}${report.focus_area ? `, focus: ${e(report.focus_area)}` : ""} · ${e(report.created_at)}
</p>
${headline ? `<p class="headline"><strong>${e(headline)}</strong></p>` : ""}${notAnalysed ? `<p class="not-analysed">${e(notAnalysed)}: the tool's own failures, not the users'.</p>` : ""}
${report.patterns.length === 0 ? "<p>No issue was seen in at least two sessions.</p>" : patterns}
${report.dropped_patterns.length ? `<section class="left-out"><h2>Left out</h2><ul>${report.dropped_patterns.map((d) => `<li>${e(d.name)}: ${e(leftOutReason(d.reason))}</li>`).join("")}</ul></section>` : ""}
</body></html>
`;
}
