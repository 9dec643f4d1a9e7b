/**
 * How a demo app's bugs are switched on, one visit at a time: the visit's first URL carries
 * `?issues=a,b`; `common/public/visit.js` moves the list into sessionStorage and a session cookie
 * (which the API reads) and cleans the address bar before analytics start, so no event or recording
 * names the bug. Each app lists its own bugs; names it does not know are dropped.
 */

export const ISSUES_QUERY_PARAM = "issues";

export interface IssueSwitches<Name extends string> {
  isIssue(value: string): value is Name;
  /** The known names of a comma- or space-separated list. */
  parseIssues(value: string | undefined): Set<Name>;
}

/** Parsing for an app's bug catalogue (issue name → where it shows). */
export function issueSwitches<Name extends string>(catalogue: Readonly<Record<Name, string>>): IssueSwitches<Name> {
  const isIssue = (value: string): value is Name => Object.hasOwn(catalogue, value);
  return {
    isIssue,
    parseIssues(value) {
      const issues = new Set<Name>();
      for (const part of (value ?? "").split(/[,\s]+/)) if (isIssue(part)) issues.add(part);
      return issues;
    },
  };
}

/** The first URL of a visit to `path` that has these issues. */
export function visitUrl(appUrl: string, path: string, issues: Iterable<string>): string {
  const url = new URL(path, appUrl);
  const list = [...issues];
  if (list.length > 0) url.searchParams.set(ISSUES_QUERY_PARAM, list.join(","));
  return url.toString();
}
