/**
 * The parts of a page every demo app renders the same way: the `<head>` that loads the visit log,
 * posthog-js and its configuration, the page's data for its script, and HTML escaping.
 */

export interface AnalyticsSettings {
  /** Where posthog-js sends events and recordings. */
  captureUrl: string;
  token: string;
}

/** How `common/public/visit.js` keeps this app's visit (see the script's header). */
export interface VisitLogSettings {
  /** sessionStorage key prefix, e.g. `fh` for `fh:issues` and `fh:marks`. */
  storagePrefix: string;
  /** The cookie the API reads the visit's issue list from. */
  issuesCookie: string;
  /** A cookie with an id per visit, for an app that keeps data per visit. */
  visitCookie?: string;
}

export interface HeadParts {
  title: string;
  /** The product's name, after the title. */
  product: string;
  /** The app's stylesheet in its `public/`. */
  stylesheet: string;
  analytics: AnalyticsSettings;
  visitLog: VisitLogSettings;
}

/** The inside of `<head>`: the visit log runs first, then posthog-js with its settings. */
export function documentHead(parts: HeadParts): string {
  const visit = parts.visitLog;
  const visitAttributes = [
    `data-storage-prefix="${escapeHtml(visit.storagePrefix)}"`,
    `data-issues-cookie="${escapeHtml(visit.issuesCookie)}"`,
    ...(visit.visitCookie ? [`data-visit-cookie="${escapeHtml(visit.visitCookie)}"`] : []),
  ].join(" ");
  return `<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(parts.title)} · ${escapeHtml(parts.product)}</title>
<link rel="stylesheet" href="/static/${parts.stylesheet}">
<script src="/common/visit.js" ${visitAttributes}></script>
<script>window.DEMO_ANALYTICS = ${jsonForScript({ apiHost: parts.analytics.captureUrl, token: parts.analytics.token })};</script>
<script src="/vendor/posthog.js"></script>
<script src="/common/analytics.js"></script>`;
}

/**
 * The scripts at the end of `<body>`: the page's data (when it has any), the shared helpers, the
 * app's shared script and the page's own script in `public/pages/`.
 */
export function bodyScripts(parts: { data?: unknown; appScript: string; page: string }): string {
  const data = parts.data === undefined ? "" : `<script type="application/json" id="page-data">${jsonForScript(parts.data)}</script>`;
  return `${data}
<script src="/common/page-helpers.js"></script>
<script src="/static/${parts.appScript}"></script>
<script src="/static/pages/${parts.page}.js"></script>`;
}

/** JSON inside a script element must not close it. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch);
}
