import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { fenceUntrusted } from "../src/encode/fence.ts";
import { findSessions } from "../src/sources/select.ts";
import { failureText, type ChatToolContext } from "./context.ts";
import { describeSelection, selectionOfInput, SelectionToolFields } from "./criteria.ts";

/** Sessions listed in one answer; the count is always given. */
const LISTED = 20;

export const FindSessionsInput = z.looseObject(SelectionToolFields);

/** Lists sessions matching filters, without summarizing them. */
export function makeFindSessionsTool(context: ChatToolContext) {
  return tool(
    async (input, config): Promise<string> => {
      const selection = selectionOfInput(input);
      if (typeof selection === "string") return selection;
      try {
        const found = await findSessions(context.runtime.source, selection, config.signal);
        if (found.length === 0) return `No sessions match (${describeSelection(selection)}).`;
        const lines = found
          .slice(0, LISTED)
          .map(
            ({ meta, duration_ms }) =>
              `${meta.session_id} | started ${meta.start} | ${Math.round(duration_ms / 1000)} s | ${meta.exception_count ?? "?"} errors | person ${meta.distinct_id ?? "unknown"} | first page ${meta.first_url ?? "unknown"}`,
          );
        const more = found.length > LISTED ? `\n(and ${found.length - LISTED} more)` : "";
        return `${found.length} session${found.length === 1 ? "" : "s"} match (${describeSelection(selection)}):\n${fenceUntrusted("sessions", lines.join("\n"))}${more}`;
      } catch (error) {
        if (config.signal?.aborted) return "Listing the sessions was cancelled: the turn was interrupted.";
        return `Could not list sessions: ${failureText(context, "find_sessions", error)}`;
      }
    },
    {
      name: "find_sessions",
      description: "Find sessions by time range, first page or page visited, event name, errors, person or duration. Lists them (id, start, duration, errors); does not summarize them.",
      schema: FindSessionsInput,
    },
  );
}
