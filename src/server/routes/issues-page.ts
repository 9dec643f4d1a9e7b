import { randomBytes } from "node:crypto";
import { Router } from "express";
import type { IssueExample } from "../../domain/monitor.ts";
import { redactDeep } from "../../report/redact.ts";
import { exampleKey } from "../../report/page/types.ts";
import { issuesPageContentSecurityPolicy, loadIssuesPageData, renderIssuesPage, type IssuesPageData } from "../../watch/page/index.ts";
import { projectOf } from "../auth.ts";
import type { ServerServices } from "../services.ts";
import { queryText } from "../schemas.ts";
import { reportLinks } from "./reports.ts";
import { monitorOf, watchOf } from "./watch.ts";

/**
 * `GET /issues` (`?monitor_id=` for one monitor): the project's issues page, with each example
 * linked to its place on the served report page. Like the report page, the key may come in `?key=`
 * (a link a person opens), so the page is never cached and sends no Referer.
 */
export function issuesPageRoutes(services: ServerServices): Router {
  const router = Router();
  router.get("/", async (req, res) => {
    const project = projectOf(res);
    const monitorId = queryText(req.query, "monitor_id");
    // The report page asks for the key too: a page opened with `?key=` hands it on in its links, as the address it was opened with already carries it.
    const key = queryText(req.query, "key");
    const watch = watchOf(services);
    // Checked here so another project's monitor gets the API's own 404, as on every watch route.
    if (monitorId !== undefined) await monitorOf(services, res, monitorId);
    const data = await loadIssuesPageData(watch.store, project, {
      now: watch.clock.now(),
      replayLink: (example) => exampleLink(example, key),
      ...(monitorId !== undefined ? { monitorId } : {}),
    });
    const nonce = randomBytes(18).toString("base64");
    res.set({
      "Cache-Control": "no-store",
      "Referrer-Policy": "no-referrer",
      // The page carries its policy in a meta tag (a written file needs it); the header adds what a meta tag cannot: no framing by other sites.
      "Content-Security-Policy": `${issuesPageContentSecurityPolicy(nonce)}; frame-ancestors 'none'`,
    });
    res.type("html").send(renderIssuesPage(services.redactsPii ? redactedPageData(data) : data, { nonce }));
  });
  return router;
}

/** An example's place on its report's page: `/reports/<id>#example-<pattern>-<index>` (the report page's anchor of that example). */
export function exampleLink(example: Pick<IssueExample, "report_id" | "pattern_id" | "example_index">, key?: string): string {
  const query = key !== undefined ? `?key=${encodeURIComponent(key)}` : "";
  return `${reportLinks(example.report_id).report_url}${query}#example-${exampleKey(example.pattern_id, example.example_index)}`;
}

/** Texts written from sessions are redacted like the report page's; the links are ours (and may carry the key, which looks like a secret), so they are kept as made. */
function redactedPageData(data: IssuesPageData): IssuesPageData {
  const redacted = redactDeep(data);
  return {
    ...redacted,
    issues: redacted.issues.map((issue, i) => ({
      ...issue,
      examples: issue.examples.map((example, j) => {
        const href = data.issues[i]?.examples[j]?.replay_href;
        const { replay_href: _dropped, ...rest } = example;
        return href !== undefined ? { ...rest, replay_href: href } : rest;
      }),
    })),
  };
}
