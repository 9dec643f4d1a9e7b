import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { oneLine, withNotice, YAML_RULES } from "./common.ts";

/**
 * One session → `RawSessionSummarySchema` YAML. The human message carries the encoded session
 * (`encodeSession(...).text`: notice, column legend, metadata, fenced url/window/event tables).
 */

/** How to read a session, shared with the batch prompt (`summarize-sessions.ts`); part of the single prompt's hash, a cache key. */
export const SUMMARY_RULES = `Segments
- Split the session in time order into the fewest segments, one user goal each (browse, search, sign in, create or edit something). Merge aggressively: a short session is often 1-2 segments.
- Together they cover every row, first to last, without overlaps.
- Name each by what the user did, in the product's words, 3-6 words.

Key actions
- Per segment, the events that matter: steps toward the goal and every issue; at most 3 in a short segment, 5 in a long one. Description: 4-10 words, what happened from the user's side.
- exception: blocking = an error stopped the user: the rows after it show retries without progress, being stuck, or leaving. Never blocking without that evidence.
- exception: non-blocking = an error occurred but the user carried on (reached the goal, or moved on by choice), including errors they likely never saw. Flag a repeated error once.
- exception: null = no error at this event.
- confusion: true = the user was visibly unsure or stuck: repeated attempts at one step, back-and-forth, rage clicks, re-entering rejected input, dead clicks nothing followed (no input, no screen change).
- abandonment: true = on the last action of a goal given up midway: a form or multi-step flow left unfinished, leaving after a failure or after repeating a step against a vague message.
- slow: true = on the page load or action followed by seconds of loading (session_metadata loading_waits), whether the user waited or left.
- Retries and leaving after a failure keep their own flags; their description says so ("after the error").
- Normal navigation, browsing and going back are not issues. Report no error that no row shows.

Outcomes
- Segment: success = its goal was reached; summary at most 15 words.
- Session: success = the user reached the goal they came for (the product's own goal: saving, sending, booking...); summary at most 30 words, naming the main problem if any.
- Judge engagement by session_metadata (active time, clicks, keypresses).`;

/** One summary in the output shape, unindented. */
export const SUMMARY_SHAPE_EXAMPLE = `segments:
  - name: "Book a meeting room"
    start_event_id: "1a2b3c4d"
    end_event_id: "5e6f7a8b"
    key_actions:
      - event_id: "9c0d1e2f"
        description: "Confirm booking click throws an error"
        exception: blocking
        confusion: false
        abandonment: false
        slow: false
    outcome:
      success: false
      summary: "Booking was not confirmed"
session_outcome:
  success: false
  summary: "Picked a room but could not confirm the booking"`;

// Composed from the shared parts; its text (and so `SUMMARY_PROMPT_VERSION`, a cache key) is unchanged by the split.
export const SUMMARIZE_SESSION_SYSTEM = `You summarize one recorded session of a web app from its analytics events for the product team: what the user tried and what stopped or troubled them, with evidence. Flag real problems only.

${SUMMARY_RULES}

Cite only event_id values of the events table, copied exactly.

Output shape:
${SUMMARY_SHAPE_EXAMPLE}
${YAML_RULES}`;

export interface SummarizeSessionInput {
  /** `encodeSession(...).text`. */
  encodedText: string;
  /** What the person asking cares about, e.g. "sign-up". */
  focusArea?: string;
}

export function formatSummarizeSession(input: SummarizeSessionInput): BaseMessage[] {
  const focus = input.focusArea?.trim() ? `\n\nFocus area: ${oneLine(input.focusArea)}. Look at it closely, but still report any blocking problem elsewhere.` : "";
  return [new SystemMessage(SUMMARIZE_SESSION_SYSTEM), new HumanMessage(`${withNotice(input.encodedText)}${focus}\n\nWrite the YAML summary of this session.`)];
}
