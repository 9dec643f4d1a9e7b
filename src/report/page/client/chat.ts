import { SseParser, type SseEvent } from "./sse.ts";

export interface ChatOptions {
  apiBase: string;
  reportId: string;
  /** The API key, from the page URL's `?key=`. */
  key: string | null;
  log: HTMLElement;
  form: HTMLFormElement;
  input: HTMLTextAreaElement;
  status: HTMLElement;
}

/** A readable text for an SSE payload field that may be a string or `{ content }`. */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object") {
    const v = value as { content?: unknown; text?: unknown; message?: unknown };
    if (typeof v.content === "string") return v.content;
    if (typeof v.text === "string") return v.text;
    if (typeof v.message === "string") return v.message;
  }
  return value === undefined || value === null ? "" : JSON.stringify(value);
}

/**
 * The chat panel: one thread per page view, created on the first message. Answers stream in over
 * `POST /api/threads/:id/messages` as SSE (`token`, `progress`, `tool_call`, `tool_result`,
 * `final`, `error`). Everything the server sends is shown as text.
 */
export class ChatPanel {
  private threadId: string | undefined;
  private busy = false;

  constructor(private readonly options: ChatOptions) {
    options.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.send(options.input.value);
    });
    options.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        void this.send(options.input.value);
      }
    });
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "text/event-stream, application/json" };
    if (this.options.key) headers.authorization = `Bearer ${this.options.key}`;
    return headers;
  }

  private async errorOf(response: Response): Promise<string> {
    try {
      const body = (await response.json()) as { error?: { message?: string } };
      return body.error?.message ?? `HTTP ${response.status}`;
    } catch {
      return `HTTP ${response.status}`;
    }
  }

  async send(raw: string): Promise<void> {
    const content = raw.trim();
    if (!content || this.busy) return;
    this.busy = true;
    this.options.form.setAttribute("aria-busy", "true");
    this.options.input.value = "";
    this.bubble("user", content);
    const answer = this.bubble("assistant", "");
    const notes = document.createElement("ul");
    notes.className = "chat-notes";
    answer.after(notes);
    try {
      if (!this.threadId) {
        // The thread starts with this page's report in its state: follow-ups are answered from it.
        const created = await fetch(`${this.options.apiBase}/threads`, { method: "POST", headers: this.headers(), body: JSON.stringify({ report_id: this.options.reportId }) });
        if (!created.ok) throw new Error(await this.errorOf(created));
        this.threadId = ((await created.json()) as { thread_id: string }).thread_id;
      }
      const body = JSON.stringify({ content });
      const response = await fetch(`${this.options.apiBase}/threads/${encodeURIComponent(this.threadId)}/messages`, { method: "POST", headers: this.headers(), body });
      if (!response.ok || !response.body) throw new Error(await this.errorOf(response));
      this.setStatus("Answering…");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = new SseParser();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const event of parser.push(value)) this.handle(event, answer, notes);
      }
      parser.end();
      this.setStatus("");
    } catch (error) {
      this.note(notes, "error", `Error: ${error instanceof Error ? error.message : String(error)}`);
      this.setStatus("The message failed.");
    } finally {
      this.busy = false;
      this.options.form.removeAttribute("aria-busy");
    }
  }

  private handle(event: SseEvent, answer: HTMLElement, notes: HTMLElement): void {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(event.data) as Record<string, unknown>;
    } catch {
      data = { text: event.data };
    }
    switch (event.event) {
      case "token":
        answer.textContent += textOf(data.text ?? data.token ?? data.content ?? data.delta ?? "");
        break;
      case "progress":
        this.setStatus(textOf(data.message ?? data.stage ?? data));
        break;
      case "preliminary":
        // Triage's early list, until the report answers.
        this.setStatus(textOf(data.message));
        break;
      case "tool_call":
        this.note(notes, "tool", `Using ${textOf(data.name ?? data.tool ?? "a tool")}…`);
        break;
      case "tool_result":
        this.note(notes, "tool", `${textOf(data.name ?? data.tool ?? "Tool")}: ${textOf(data.status ?? data.content ?? data.result ?? "done").slice(0, 300)}`);
        break;
      case "final": {
        const message = textOf(data.message);
        if (message) answer.textContent = message;
        const url = typeof data.report_url === "string" ? data.report_url : typeof data.report_id === "string" ? `/reports/${encodeURIComponent(data.report_id)}` : undefined;
        if (url && url.startsWith("/")) {
          const link = document.createElement("a");
          const target = new URL(url, location.href);
          if (this.options.key) target.searchParams.set("key", this.options.key);
          link.href = target.pathname + target.search;
          link.textContent = `Open report ${textOf(data.report_id ?? url)}`;
          const item = this.note(notes, "report", "");
          item.append(link);
        }
        break;
      }
      case "error":
        this.note(notes, "error", `Error: ${textOf(data.message ?? data)}`);
        break;
      default:
        break;
    }
  }

  private bubble(role: "user" | "assistant", text: string): HTMLElement {
    const item = document.createElement("div");
    item.className = `chat-message chat-${role}`;
    item.textContent = text;
    this.options.log.append(item);
    return item;
  }

  private note(list: HTMLElement, kind: string, text: string): HTMLElement {
    const item = document.createElement("li");
    item.className = `chat-note chat-note-${kind}`;
    item.textContent = text;
    list.append(item);
    return item;
  }

  private setStatus(text: string): void {
    this.options.status.textContent = text;
  }
}
