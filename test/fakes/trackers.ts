import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a fake tracker received, as sent. */
export interface TrackerRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown> | undefined;
}

export interface FakeTracker {
  /** GitHub: the API base (`SESSION_SUMMARIES_GITHUB_API_URL`); Linear: the GraphQL endpoint; webhook: the hook. */
  url: string;
  requests: TrackerRequest[];
  /** Answers to come before the documented ones: `{status, body}`. */
  failNext(status: number, body: string): void;
  /** Delays every answer (races). */
  delayMs: number;
  close(): Promise<void>;
}

/**
 * A local fake of GitHub's REST issues API (create, comment, get, patch), Linear's GraphQL
 * (`issueCreate`, `commentCreate`) or a webhook receiver, answering with the documented shapes.
 * GitHub issues start closed when `closedAfterCreate` (to see the re-open on regression).
 */
export async function fakeTracker(kind: "github" | "linear" | "webhook", options: { closedAfterCreate?: boolean } = {}): Promise<FakeTracker> {
  const requests: TrackerRequest[] = [];
  const failures: Array<{ status: number; body: string }> = [];
  const issues = new Map<number, { state: string }>();
  let next = 1;
  const fake: FakeTracker = {
    url: "",
    requests,
    delayMs: 0,
    failNext: (status, body) => void failures.push({ status, body }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
    req.on("end", () => {
      let body: Record<string, unknown> | undefined;
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      } catch {
        body = undefined;
      }
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, raw, body });
      const answer = (status: number, json: unknown) => {
        setTimeout(() => res.writeHead(status, { "Content-Type": "application/json" }).end(typeof json === "string" ? json : JSON.stringify(json)), fake.delayMs);
      };
      const failure = failures.shift();
      if (failure) return answer(failure.status, failure.body);
      if (kind === "webhook") return answer(200, { id: `hook-${next++}`, url: "https://tickets.example/hook-1" });
      if (kind === "linear") {
        const query = String(body?.query ?? "");
        if (query.includes("issueCreate")) {
          const n = next++;
          return answer(200, { data: { issueCreate: { success: true, issue: { id: `lin-uuid-${n}`, identifier: `ENG-${n}`, url: `https://linear.app/acme/issue/ENG-${n}` } } } });
        }
        if (query.includes("commentCreate")) return answer(200, { data: { commentCreate: { success: true } } });
        return answer(200, { errors: [{ message: "unknown operation" }] });
      }
      const match = /^\/repos\/([^/]+)\/([^/]+)\/issues(?:\/(\d+))?(\/comments)?$/.exec(req.url ?? "");
      if (!match) return answer(404, { message: "Not Found" });
      const [, owner, repo, number, comments] = match;
      if (req.method === "POST" && !number) {
        const n = next++;
        issues.set(n, { state: options.closedAfterCreate ? "closed" : "open" });
        return answer(201, { id: 1000 + n, number: n, html_url: `https://github.com/${owner}/${repo}/issues/${n}`, state: "open" });
      }
      const issue = issues.get(Number(number));
      if (!issue) return answer(404, { message: "Not Found" });
      if (req.method === "POST" && comments) return answer(201, { id: 5000 + requests.length, body: body?.body });
      if (req.method === "GET") return answer(200, { number: Number(number), state: issue.state });
      if (req.method === "PATCH") {
        issue.state = String(body?.state ?? issue.state);
        return answer(200, { number: Number(number), state: issue.state });
      }
      return answer(405, { message: "Method Not Allowed" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.url = kind === "github" ? base : kind === "linear" ? `${base}/graphql` : `${base}/hooks/tickets`;
  return fake;
}
