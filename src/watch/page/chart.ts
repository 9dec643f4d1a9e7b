import type { IssueDay } from "../../domain/monitor.ts";
import { escapeHtml as e } from "../../report/html.ts";

/** Drawing units of a trend chart (the SVG scales down to narrow screens; these are its proportions). */
export const TREND_CHART = {
  /** Height of the tallest bar: the day with the most sessions in the window. */
  barAreaHeight: 40,
  barWidth: 8,
  gap: 2,
} as const;

/** One day of a trend chart: a zero day is a bar of height 0 over a visible slot, never left out. */
export interface TrendBar {
  day: string;
  sessions: number;
  users: number;
  /** In chart units, `sessions / most sessions on a day × barAreaHeight`, 2 decimals. */
  height: number;
}

/** A bar per trend day, in order; counts of days outside the window are ignored, counts of the same day added. */
export function trendBars(trendDays: readonly string[], counts: readonly IssueDay[]): TrendBar[] {
  const byDay = new Map<string, { sessions: number; users: number }>();
  for (const count of counts) {
    const day = byDay.get(count.day) ?? { sessions: 0, users: 0 };
    day.sessions += nonNegative(count.sessions);
    day.users += nonNegative(count.users);
    byDay.set(count.day, day);
  }
  const days = trendDays.map((day) => ({ day, ...(byDay.get(day) ?? { sessions: 0, users: 0 }) }));
  const most = Math.max(0, ...days.map((d) => d.sessions));
  return days.map((d) => ({ ...d, height: most === 0 ? 0 : round2((d.sessions / most) * TREND_CHART.barAreaHeight) }));
}

/**
 * The sessions an issue affected per day as an inline SVG bar chart. The chart is one image to
 * assistive technology (its title and a one-line description with the total and the busiest day);
 * each day's column carries its own title (a tooltip) and its counts as data attributes.
 */
export function renderTrendChart(issueId: number, trendDays: readonly string[], counts: readonly IssueDay[]): string {
  if (trendDays.length === 0) return "";
  const bars = trendBars(trendDays, counts);
  const { barAreaHeight: height, barWidth, gap } = TREND_CHART;
  const step = barWidth + gap;
  const width = bars.length * step - gap;
  const total = bars.reduce((sum, b) => sum + b.sessions, 0);
  const activeDays = bars.filter((b) => b.sessions > 0).length;
  const busiest = bars.reduce<TrendBar | undefined>((best, b) => (b.sessions > (best?.sessions ?? 0) ? b : best), undefined);
  const first = bars[0]!.day;
  const last = bars[bars.length - 1]!.day;
  const titleId = `trend-title-${issueId}`;
  const descId = `trend-desc-${issueId}`;
  const description = busiest
    ? `${plural(total, "session")} on ${activeDays} of ${plural(bars.length, "day")}; most on ${busiest.day}: ${plural(busiest.sessions, "session")}.`
    : `No session on any of the ${plural(bars.length, "day")}.`;
  const columns = bars
    .map((bar, i) => {
      const x = i * step;
      return `<g class="day${bar.sessions === 0 ? " day-zero" : ""}" data-day="${e(bar.day)}" data-sessions="${bar.sessions}" data-users="${bar.users}"><title>${e(bar.day)}: ${plural(bar.sessions, "session")}, ${plural(bar.users, "user")}</title><rect class="slot" x="${x}" y="0" width="${barWidth}" height="${height}"></rect><rect class="bar" x="${x}" y="${round2(height - bar.height)}" width="${barWidth}" height="${bar.height}"></rect></g>`;
    })
    .join("");
  return `<svg class="trend-chart" preserveAspectRatio="none" role="img" aria-labelledby="${titleId} ${descId}" viewBox="0 0 ${width} ${height + 1}" width="${width}" height="${height + 1}" data-days="${bars.length}"><title id="${titleId}">Sessions per day, ${e(first)} to ${e(last)} (UTC)</title><desc id="${descId}">${e(description)}</desc>${columns}<line class="baseline" x1="0" y1="${height + 0.5}" x2="${width}" y2="${height + 0.5}"></line></svg>`;
}

function nonNegative(n: number): number {
  return Number.isFinite(n) && n > 0 ? n : 0;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
