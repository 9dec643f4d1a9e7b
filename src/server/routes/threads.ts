import { Router } from "express";
import { readChatThread, streamChatTurn, type ChatStreamEvent } from "../../../graph/chat/index.ts";
import { digestReport } from "../../report/digest.ts";
import { redactDeep, StreamedTextRedactor } from "../../report/redact.ts";
import { projectOf } from "../auth.ts";
import type { Logger } from "../../log/logger.ts";
import { notFound, ServerError } from "../errors.ts";
import { CreateThreadBodySchema, parseBody, PostMessageBodySchema } from "../schemas.ts";
import type { ServerServices } from "../services.ts";
import { SseWriter } from "../sse.ts";
import { ChatThreads } from "../threads.ts";
import { reportLinks } from "./reports.ts";

export interface ThreadRoutesOptions {
  services: ServerServices;
  heartbeatMs: number;
  logger: Logger;
}

/**
 * `POST /api/threads` (optionally `{ report_id }`) → `{ thread_id }`; `POST /api/threads/:id/messages` `{ content }` → an event
 * stream of the turn; `GET /api/threads/:id` → the thread's messages and latest report.
 */
export function threadRoutes(options: ThreadRoutesOptions): Router {
  const { services } = options;
  const router = Router();

  router.post("/", async (req, res) => {
    const body = parseBody(CreateThreadBodySchema, req.body);
    const project = projectOf(res);
    const report = body?.report_id === undefined ? undefined : await services.runs.getReport(project, body.report_id);
    if (body?.report_id !== undefined && !report) throw notFound(`finished report ${JSON.stringify(body.report_id)}`);
    const threadId = await services.threads.create(project);
    if (report) {
      // Written as the agent's step: the graph's next step after it is the end, so the first message starts a normal turn.
      const graph = await services.chatGraph(project);
      await graph.updateState({ configurable: { thread_id: ChatThreads.checkpointId(project, threadId) } }, { report: digestReport(report), report_ids: [report.id] }, "agent");
    }
    res
      .status(201)
      .location(`/api/threads/${threadId}`)
      .json({ thread_id: threadId, ...(report ? { report_id: report.id, ...reportLinks(report.id) } : {}) });
  });

  router.get("/:id", async (req, res) => {
    const project = projectOf(res);
    const threadId = String(req.params.id);
    const state = await readThread(services, project, threadId);
    if (!state.exists) throw notFound(`thread ${JSON.stringify(threadId)}`);
    const thread = state.thread;
    const answer = {
      thread_id: threadId,
      messages: thread?.messages ?? [],
      ...(thread?.report_id !== undefined ? { report_id: thread.report_id, ...reportLinks(thread.report_id) } : {}),
      ...(thread?.report_summary !== undefined ? { report_summary: thread.report_summary } : {}),
      report_ids: thread?.report_ids ?? [],
      ...(thread?.report_pending !== undefined ? { report_pending: thread.report_pending } : {}),
    };
    // Messages carry tool results (summaries, URLs): redacted like the report, by the same switch.
    res.json((await redactsAnswers(services, project)) ? redactDeep(answer) : answer);
  });

  router.post("/:id/messages", async (req, res) => {
    const project = projectOf(res);
    const threadId = String(req.params.id);
    const body = parseBody(PostMessageBodySchema, req.body);
    const { exists, graph } = await readThread(services, project, threadId);
    if (!exists) throw notFound(`thread ${JSON.stringify(threadId)}`);
    const redact = await redactsAnswers(services, project);
    const turn = services.threads.beginTurn(project, threadId);
    const sse = new SseWriter(res, {
      heartbeatMs: options.heartbeatMs,
      onClose: () => turn.abort(new ServerError("client_disconnected", "the client closed the stream", 499)),
    });
    try {
      const events = streamChatTurn(graph, {
        threadId: ChatThreads.checkpointId(project, threadId),
        message: body.content,
        signal: turn.signal,
        // A report stopped by a shutdown is finished by the thread's next message; one the client walked away from is cancelled.
        resumeAfterAbort: (reason) => reason instanceof ServerError && reason.code === "shutting_down",
        logger: options.logger,
      });
      // Tokens are redacted as text up to a whitespace boundary, not one by one: a secret split over two tokens matches no rule in either.
      const tokens = new StreamedTextRedactor(redact);
      const sendHeldTokens = () => {
        const held = tokens.flush();
        if (held) sse.send("token", { text: held });
      };
      for await (const event of events) {
        if (sse.closed) break;
        if (event.type === "token") {
          const ready = tokens.push(event.text);
          if (ready) sse.send("token", { text: ready });
          continue;
        }
        sendHeldTokens();
        const stoppedBy = turn.signal.reason as unknown;
        // A turn cut short by the server (shutdown) says so, rather than a bare "cancelled".
        if (event.type === "error" && stoppedBy instanceof ServerError) sse.send("error", { code: stoppedBy.code, message: stoppedBy.message });
        else sse.send(event.type, redact ? redactDeep(eventPayload(event)) : eventPayload(event));
      }
      if (!sse.closed) sendHeldTokens();
    } catch (error) {
      const reason = turn.signal.reason as unknown;
      if (reason instanceof ServerError && reason.code === "client_disconnected") {
        // Nobody is listening; the checkpoint keeps what the turn finished.
      } else if (reason instanceof ServerError) {
        sse.send("error", { code: reason.code, message: reason.message });
      } else {
        options.logger.error({ err: error, threadId, project }, "error in a chat turn");
        sse.send("error", { code: "internal_error", message: "the turn failed: the server logged the details" });
      }
    } finally {
      services.threads.endTurn(project, threadId, turn);
      sse.end();
    }
  });

  return router;
}

/** Whether API answers are redacted: the project's pipeline setting (`SESSION_SUMMARIES_REDACT_PII`), on unless turned off. */
async function redactsAnswers(services: ServerServices, project: string): Promise<boolean> {
  return (await services.pipeline(project)).runtime.settings.redactPii ?? true;
}

async function readThread(services: ServerServices, project: string, threadId: string) {
  const graph = await services.chatGraph(project);
  if (!ChatThreads.isThreadId(threadId)) return { exists: false, graph, thread: undefined };
  const thread = await readChatThread(graph, ChatThreads.checkpointId(project, threadId));
  const exists = thread !== undefined || (await services.threads.wasCreated(project, threadId));
  return { exists, graph, thread };
}

/** The event without its `type` (that is the SSE event name); a final message with a report gets its links. */
export function eventPayload(event: ChatStreamEvent): Record<string, unknown> {
  const { type: _type, ...payload } = event as ChatStreamEvent & Record<string, unknown>;
  if (event.type === "final" && event.report_id !== undefined) return { ...payload, ...reportLinks(event.report_id) };
  return payload;
}
