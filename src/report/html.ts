import type { Report } from "../domain/report.ts";
import { issueFlags, reach, sessionClock } from "./format.ts";

/** Everything in the report is data written by models or by the analysed site: always escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const SEVERITY_COLORS = { critical: "#b91c1c", high: "#c2410c", medium: "#a16207", low: "#4b5563" } as const;

/** A plain, self-contained page of the report (no scripts, no external resources). */
export function renderHtml(report: Report): string {
  const e = escapeHtml;
  const analysed = report.sessions.summarized.length;
  const patterns = report.patterns
    .map(
      (p) => `<section class="pattern" id="${e(p.slug)}">
<h2><a href="#${e(p.slug)}">${p.id}. ${e(p.name)}</a> <span class="sev" style="background:${SEVERITY_COLORS[p.severity]}">${p.severity}</span></h2>
<p>${e(p.description)}</p>
<p class="stats">${e(reach(p, analysed))} sessions · ${p.stats.occurrences} occurrences · success despite it: ${Math.round(p.stats.segments_success_ratio * 100)}%</p>
<ul>${p.indicators.map((i) => `<li>${e(i)}</li>`).join("")}</ul>
<details><summary>${p.examples.length} examples</summary><ol>${p.examples
        .map(
          (x) => `<li><code>${e(x.session_id)}</code> at ${sessionClock(x.target.ms_since_start)} in “${e(x.segment_name)}”: ${e(x.target.description)}${
            issueFlags(x.target).length ? ` <em>(${e(issueFlags(x.target).join(", "))})</em>` : ""
          }${x.validation ? ` — replay check: <strong>${e(x.validation.verdict.replace("_", " "))}</strong>` : ""}</li>`,
        )
        .join("")}</ol></details>
</section>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${e(report.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#111}
.sev{color:#fff;border-radius:4px;padding:0 .4em;font-size:.8em;text-transform:uppercase}.stats{color:#444}
.pattern{border-top:1px solid #ddd;padding-top:.5rem}code{background:#f3f4f6;padding:0 .2em;word-break:break-all}</style>
</head><body>
<h1>${e(report.title)}</h1>
<p>${analysed} sessions analysed by ${e(report.analyst.label)}${report.focus_area ? `, focus: ${e(report.focus_area)}` : ""} · ${e(report.created_at)}
${report.sessions.failed.length ? ` · ${report.sessions.failed.length} failed` : ""}${report.sessions.skipped.length ? ` · ${report.sessions.skipped.length} skipped` : ""}</p>
${report.patterns.length === 0 ? "<p>No issue was seen in at least two sessions.</p>" : patterns}
</body></html>
`;
}
