import type { AnalyticsEvent } from "../domain/events.ts";
import type { RecordingMetadata } from "../replay/metadata.ts";
import { encodeSession } from "./encode-session.ts";
import type { EncodeOptions } from "./options.ts";
import type { EncodedSession } from "./types.ts";

/** Loading indicators shown at least this long are told to the model (shorter ones are every page's). */
const MODEL_WAIT_MIN_MS = 3_000;

/**
 * Encodes a session with what its recording says: the replay's bounds set the start/end cutoffs and
 * the origin of `t`, and its activity counts and long loading indicators fill the metadata block.
 * Without a recording the events' own first and last timestamps are used.
 */
export function encodeRecordedSession(input: { sessionId: string; events: AnalyticsEvent[]; recording?: RecordingMetadata; startUrl?: string }, options: Partial<EncodeOptions> = {}): EncodedSession {
  const { recording } = input;
  return encodeSession(
    {
      sessionId: input.sessionId,
      events: input.events,
      replayStartMs: recording?.startMs,
      replayEndMs: recording?.endMs,
      metadata: {
        startUrl: input.startUrl,
        ...(recording
          ? {
              durationMs: recording.durationMs,
              activeSeconds: recording.activeSeconds,
              clicks: recording.clicks,
              keypresses: recording.keypresses,
              mouseActivity: recording.mouseActivity,
              windows: recording.windows.length,
              loadingWaits: (recording.loadingWaits ?? [])
                .filter((wait) => wait.endMs - wait.startMs >= MODEL_WAIT_MIN_MS)
                .map((wait) => ({ startS: (wait.startMs - recording.startMs) / 1000, seconds: (wait.endMs - wait.startMs) / 1000, stillLoading: !wait.resolved })),
            }
          : {}),
      },
    },
    options,
  );
}
