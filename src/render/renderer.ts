import type { eventWithTime } from "@rrweb/types";
import type { ClipRenderOptions, RenderedClip } from "./clip-renderer.ts";

/** What one clip render is asked for besides its events and range. */
export interface ClipRenderRequest extends Pick<ClipRenderOptions, "video" | "text"> {
  /** The session the clip is cut from: named in errors and logs (a renderer in another process knows nothing else of it). */
  sessionId?: string;
  /** Stops waiting for a render done elsewhere (the render itself may still finish there). */
  signal?: AbortSignal;
}

/**
 * What the session graph's `validate` node renders clips with: `ClipRenderService` (Chromium in this
 * process) or `QueuedClipRenderer` (render jobs served by `worker --queues render` processes).
 */
export interface ClipRenderer {
  render(events: eventWithTime[], range: { startMs: number; endMs: number }, options?: ClipRenderRequest): Promise<RenderedClip>;
  /** Frees what the renderer holds (Chromium, queue connections); a renderer is not used after. */
  close(): Promise<void>;
}
