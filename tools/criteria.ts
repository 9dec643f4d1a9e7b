import { z } from "zod";
import { checkSelection, describeSelection, SessionSelectionFields as Domain, type SessionSelection } from "../src/domain/selection.ts";

/**
 * The session selection as find_sessions and summarize_sessions take it: the fields and descriptions
 * of `src/domain/selection.ts` (which the CLI, the reports API and Studio use too), typed loosely
 * here so that a wrong value is answered by the one validation (`checkSelection`), naming the field,
 * rather than by a generic "input did not match the schema".
 */
export const SelectionToolFields = {
  ids: z.array(z.string()).optional().describe(Domain.ids.description!),
  from: z.string().optional().describe(Domain.from.description!),
  to: z.string().optional().describe(Domain.to.description!),
  first_url_contains: z.string().optional().describe(Domain.first_url_contains.description!),
  visited_url_contains: z.string().optional().describe(Domain.visited_url_contains.description!),
  event: z.string().optional().describe(Domain.event.description!),
  person: z.string().optional().describe(Domain.person.description!),
  has_exception: z.boolean().optional().describe(Domain.has_exception.description!),
  min_duration_ms: z.number().optional().describe(Domain.min_duration_ms.description!),
  limit: z.number().optional().describe(Domain.limit.description!),
};

/**
 * The selection in a tool's input, or a status text naming the wrong field. Fields the tool itself
 * owns (a title, a focus) are left aside; any other unknown field (a misspelling, the removed
 * `url_contains`) is refused rather than silently ignored: tool schemas are loose objects for this.
 */
export function selectionOfInput(input: Record<string, unknown>, toolFields: readonly string[] = []): SessionSelection | string {
  const picked = Object.fromEntries(Object.entries(input).filter(([name, value]) => value !== undefined && !toolFields.includes(name)));
  const selection = checkSelection(picked);
  return typeof selection === "string" ? `${selection}.` : selection;
}

export { describeSelection };
