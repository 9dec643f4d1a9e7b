import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ASSIGN_PATTERNS_SYSTEM, COMBINE_PATTERNS_SYSTEM, EXTRACT_ASSIGN_PATTERNS_SYSTEM, EXTRACT_PATTERNS_SYSTEM, SUMMARIZE_SESSION_SYSTEM } from "../../prompts/index.ts";
import { assignmentsFromPrompt, assignmentsYaml, extractAssignYamlFromPrompt, patternsYaml, summaryYamlFromPrompt, type Purpose } from "./responses.ts";

/** One chat completion request as the fake saw it. */
export interface SeenCall {
  purpose: Purpose;
  model: string;
  /** The human message: the prompt's data part. */
  prompt: string;
  answered: boolean;
}

export interface FakeOpenAiOptions {
  /** Delay before each answer, per purpose (ms). */
  latencyMs?: Partial<Record<Purpose, number>>;
  /** Overrides the default answer for a purpose; return `{ status }` to fail the call. */
  answer?: (call: SeenCall) => string | { status: number } | undefined;
}

const PURPOSES: Array<[string, Purpose]> = [
  [SUMMARIZE_SESSION_SYSTEM, "summarize"],
  [EXTRACT_PATTERNS_SYSTEM, "extract"],
  [COMBINE_PATTERNS_SYSTEM, "combine"],
  [ASSIGN_PATTERNS_SYSTEM, "assign"],
  [EXTRACT_ASSIGN_PATTERNS_SYSTEM, "extract_assign"],
];

function defaultAnswer(call: SeenCall): string {
  switch (call.purpose) {
    case "summarize":
      return summaryYamlFromPrompt(call.prompt);
    case "extract":
    case "combine":
      return patternsYaml([{ pattern_name: "Errors while checking out", severity: "critical" }]);
    case "assign":
      return assignmentsYaml(assignmentsFromPrompt(call.prompt));
    case "extract_assign":
      return extractAssignYamlFromPrompt(call.prompt, [{ pattern_name: "Errors while checking out", severity: "critical" }]);
    default:
      throw new Error("unknown prompt");
  }
}

/**
 * An OpenAI-compatible chat completions server on 127.0.0.1 that answers our prompts with canned,
 * valid YAML built from the prompt itself, so a real `ChatOpenAI` (in this process or a child
 * process) runs the whole pipeline without a provider. It records every call.
 */
export class FakeOpenAiServer {
  readonly calls: SeenCall[] = [];
  private server?: Server;
  url = "";

  constructor(private readonly options: FakeOpenAiOptions = {}) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  count(purpose: Purpose, answeredOnly = false): number {
    return this.calls.filter((c) => c.purpose === purpose && (!answeredOnly || c.answered)).length;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { model: string; messages: Array<{ role: string; content: unknown }> };
    const text = (role: string) => {
      const content = body.messages.find((m) => m.role === role)?.content;
      return typeof content === "string" ? content : Array.isArray(content) ? content.map((p: { text?: string }) => p.text ?? "").join("") : "";
    };
    const system = text("system") || text("developer");
    const call: SeenCall = { purpose: PURPOSES.find(([s]) => s === system)?.[1] ?? "unknown", model: body.model, prompt: text("user"), answered: false };
    this.calls.push(call);
    await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs?.[call.purpose] ?? 0));
    let answer: string | { status: number };
    try {
      answer = this.options.answer?.(call) ?? defaultAnswer(call);
    } catch (error) {
      answer = { status: 500 };
      void error;
    }
    if (typeof answer !== "string") {
      res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "scripted failure", type: "server_error" } }));
      return;
    }
    const promptTokens = Math.ceil(call.prompt.length / 4);
    const completionTokens = Math.ceil(answer.length / 4);
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        id: `chatcmpl-${this.calls.length}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" }],
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      }),
      () => {
        call.answered = true;
      },
    );
  }
}
