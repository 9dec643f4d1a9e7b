import { issueKindsOf, keyActionsOf, type KeyAction, type SessionSummary } from "../domain/summary.ts";
import type { ValidationMode } from "../domain/validation-mode.ts";

export interface ClipPlanOptions {
  /** The clip starts this long before the flagged event. */
  beforeEventMs: number;
  lengthMs: number;
}

/** A clip to render: a span of one recording window and the flagged key actions it shows. */
export interface PlannedClip {
  /** Epoch ms. */
  startMs: number;
  endMs: number;
  windowId?: string;
  targets: KeyAction[];
}

/** The key actions `mode` wants checked: blocking exceptions, or every flagged issue. */
export function selectClipTargets(summary: Pick<SessionSummary, "segments">, mode: ValidationMode): KeyAction[] {
  if (mode === "off") return [];
  return keyActionsOf(summary)
    .map(({ action }) => action)
    .filter((action) => (mode === "blocking" ? action.exception === "blocking" : issueKindsOf(action).length > 0));
}

/** The targets still to check: never checked, or checked without a result (the check failed). */
export function pendingClipTargets(summary: Pick<SessionSummary, "segments" | "visual_checks">, mode: ValidationMode): KeyAction[] {
  const done = new Set((summary.visual_checks ?? []).filter((check) => !check.error).map((check) => check.event_id));
  return selectClipTargets(summary, mode).filter((action) => !done.has(action.event_id));
}

/**
 * One window per target (`beforeEventMs` before it, `lengthMs` long, never before the replay
 * starts); windows of the same recording window that overlap or touch become one clip, so a burst
 * of errors is rendered once.
 */
export function planClips(targets: readonly KeyAction[], replayStartMs: number, options: ClipPlanOptions): PlannedClip[] {
  const windows = targets
    .map((target) => {
      const at = replayStartMs + target.ms_since_start;
      const startMs = Math.max(replayStartMs, at - options.beforeEventMs);
      return { startMs, endMs: startMs + options.lengthMs, windowId: target.window_id, targets: [target] };
    })
    .sort((a, b) => (a.windowId ?? "").localeCompare(b.windowId ?? "") || a.startMs - b.startMs);
  const clips: PlannedClip[] = [];
  for (const window of windows) {
    const last = clips.at(-1);
    if (last && last.windowId === window.windowId && window.startMs <= last.endMs) {
      last.endMs = Math.max(last.endMs, window.endMs);
      last.targets.push(...window.targets);
    } else {
      clips.push({ ...window, targets: [...window.targets] });
    }
  }
  return clips.sort((a, b) => a.startMs - b.startMs);
}
