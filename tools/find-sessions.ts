import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { fenceUntrusted } from "../src/encode/fence.ts";
import { findSessions } from "../src/service/find-sessions.ts";
import { failureText, type ChatToolContext } from "./context.ts";
import { describeCriteria, SessionCriteriaFields, toCriteria } from "./criteria.ts";

/** Sessions listed in one answer; the count is always given. */
const LISTED = 20;

export const FindSessionsInput = z.object(SessionCriteriaFields);

/** Lists sessions matching filters, without summarizing them. */
export function makeFindSessionsTool(context: ChatToolContext) {
  return tool(
    async (input, config): Promise<string> => {
      const criteria = toCriteria(input);
      if (typeof criteria === "string") return criteria;
      try {
        const found = await findSessions(context.pipeline.runtime.source, criteria, config.signal);
        if (found.length === 0) return `No sessions match (${describeCriteria(criteria)}).`;
        const lines = found
          .slice(0, LISTED)
          .map(({ meta, duration_ms }) => `${meta.session_id} | started ${meta.start} | ${Math.round(duration_ms / 1000)} s | ${meta.exception_count ?? "?"} errors | person ${meta.distinct_id ?? "unknown"} | first page ${meta.first_url ?? "unknown"}`);
        const more = found.length > LISTED ? `\n(and ${found.length - LISTED} more)` : "";
        return `${found.length} session${found.length === 1 ? "" : "s"} match (${describeCriteria(criteria)}):\n${fenceUntrusted("sessions", lines.join("\n"))}${more}`;
      } catch (error) {
        if (config.signal?.aborted) return "Listing the sessions was cancelled: the turn was interrupted.";
        return `Could not list sessions: ${failureText(context, "find_sessions", error)}`;
      }
    },
    {
      name: "find_sessions",
      description: "Find sessions by time range, page URL, event name, errors, person or duration. Lists them (id, start, duration, errors); does not summarize them.",
      schema: FindSessionsInput,
    },
  );
}
