import type { ReportPattern } from "../domain/report.ts";

export const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;

/** `12% (6 of 50)` */
export function reach(pattern: ReportPattern, sessionsAnalysed: number): string {
  return `${percent(pattern.stats.sessions_affected_ratio)} (${pattern.stats.sessions_affected} of ${sessionsAnalysed})`;
}

/** mm:ss from the start of the session. */
export function sessionClock(msSinceStart: number): string {
  const total = Math.max(0, Math.round(msSinceStart / 1000));
  return `${String(Math.floor(total / 60)).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
}

export function issueFlags(action: { exception: string | null; confusion: boolean; abandonment: boolean }): string[] {
  const flags: string[] = [];
  if (action.exception) flags.push(`${action.exception} exception`);
  if (action.confusion) flags.push("confusion");
  if (action.abandonment) flags.push("abandonment");
  return flags;
}
