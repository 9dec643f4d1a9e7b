/** A request a stubbed fetch received. */
export interface CapturedRequest {
  url: string;
  headers: Headers;
  body: Record<string, unknown>;
}

/**
 * A fetch that records each request (URL, headers, JSON body) and answers with the next of
 * `answers` as JSON (the last one repeats): provider wiring is tested without reaching a provider.
 */
export function stubFetch(...answers: unknown[]): { fetch: typeof fetch; requests: CapturedRequest[] } {
  const requests: CapturedRequest[] = [];
  const fetchStub = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    const raw = typeof init?.body === "string" ? init.body : init?.body ? await new Response(init.body).text() : "{}";
    requests.push({ url, headers, body: JSON.parse(raw) as Record<string, unknown> });
    const answer = answers[Math.min(requests.length - 1, answers.length - 1)];
    return new Response(JSON.stringify(answer), { status: 200, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  return { fetch: fetchStub, requests };
}
