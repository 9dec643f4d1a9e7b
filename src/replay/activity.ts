import { EventType, IncrementalSource, MouseInteractions } from "@rrweb/types";
import type { eventWithTime } from "@rrweb/types";

/** Incremental sources that mean a person did something (as opposed to the page changing itself). */
const USER_ACTIVITY_SOURCES = new Set<IncrementalSource>([
  IncrementalSource.MouseMove,
  IncrementalSource.MouseInteraction,
  IncrementalSource.Scroll,
  IncrementalSource.ViewportResize,
  IncrementalSource.Input,
  IncrementalSource.TouchMove,
  IncrementalSource.MediaInteraction,
  IncrementalSource.Drag,
  IncrementalSource.Selection,
]);

/**
 * Incremental sources that change what the page looks like, and must therefore be replayed from
 * the last full snapshot up to a clip's start. Pointer movement and clicks before the clip do not
 * change the DOM, so they are not among them.
 */
export const DOM_STATE_SOURCES = new Set<IncrementalSource>([
  IncrementalSource.Mutation,
  IncrementalSource.Scroll,
  IncrementalSource.ViewportResize,
  IncrementalSource.Input,
  IncrementalSource.MediaInteraction,
  IncrementalSource.StyleSheetRule,
  IncrementalSource.CanvasMutation,
  IncrementalSource.Font,
  IncrementalSource.StyleDeclaration,
  IncrementalSource.AdoptedStyleSheet,
  IncrementalSource.CustomElement,
]);

export function incrementalSource(event: eventWithTime): IncrementalSource | undefined {
  if (event.type !== EventType.IncrementalSnapshot) return undefined;
  return (event.data as { source?: IncrementalSource }).source;
}

export function isUserActivity(event: eventWithTime): boolean {
  const source = incrementalSource(event);
  return source !== undefined && USER_ACTIVITY_SOURCES.has(source);
}

export function isClick(event: eventWithTime): boolean {
  if (incrementalSource(event) !== IncrementalSource.MouseInteraction) return false;
  const type = (event.data as { type?: MouseInteractions }).type;
  return type === MouseInteractions.Click || type === MouseInteractions.DblClick;
}

/** How many pointer samples an event carries: MouseMove batches several positions. */
export function mouseActivityCount(event: eventWithTime): number {
  const source = incrementalSource(event);
  if (source === IncrementalSource.MouseMove || source === IncrementalSource.TouchMove || source === IncrementalSource.Drag) {
    const positions = (event.data as { positions?: unknown[] }).positions;
    return Array.isArray(positions) ? positions.length : 1;
  }
  return source === IncrementalSource.MouseInteraction ? 1 : 0;
}

/**
 * Active time from the instants of user activity: the sum of the gaps between consecutive
 * activities that are no longer than `inactivityGapMs`. Longer gaps count as idle.
 */
export function activeMsFromInstants(instants: number[], inactivityGapMs: number): number {
  const sorted = Float64Array.from(instants).sort();
  let active = 0;
  for (let i = 1; i < sorted.length; i++) {
    const gap = sorted[i]! - sorted[i - 1]!;
    if (gap <= inactivityGapMs) active += gap;
  }
  return active;
}
