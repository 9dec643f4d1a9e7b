/** Which issues the filter form lets through: plain functions, so they are tested without a browser. */

/** What the page writes on every issue item (`data-*`). */
export interface IssueFacets {
  state: string;
  severity: string;
  kind: string;
  monitor: string;
}

/** The filter form's choices: sets of the checked states and severities; "" for any kind or monitor. */
export interface IssueFilter {
  states: ReadonlySet<string>;
  severities: ReadonlySet<string>;
  kind: string;
  monitor: string;
}

export function issueVisible(issue: IssueFacets, filter: IssueFilter): boolean {
  return filter.states.has(issue.state) && filter.severities.has(issue.severity) && (filter.kind === "" || filter.kind === issue.kind) && (filter.monitor === "" || filter.monitor === issue.monitor);
}

export function shownLine(shown: number, total: number): string {
  return `${shown} of ${total} issue${total === 1 ? "" : "s"} shown`;
}
