import { EventType, IncrementalSource, NodeType, type eventWithTime } from "@rrweb/types";
import type { UnreplayableContent } from "../domain/summary.ts";
import type { SerializedNode } from "./sanitize.ts";

/**
 * Canvases the replay shows blank, by node id. The replay runs none of the page's scripts, so a
 * canvas (2D or WebGL) shows only what the recording kept of its drawing: a snapshot image
 * (`rr_dataURL`) or canvas mutations (posthog-js `recordCanvas`), which rrweb draws itself.
 */
export function blankCanvasIds(events: readonly eventWithTime[]): Set<number> {
  /** Canvas node id → whether the recording kept any of its drawing. */
  const drawn = new Map<number, boolean>();
  const visit = (node: SerializedNode | undefined) => {
    if (!node) return;
    if (node.type === NodeType.Element && node.tagName?.toLowerCase() === "canvas" && node.id !== undefined) {
      drawn.set(node.id, (drawn.get(node.id) ?? false) || typeof node.attributes?.rr_dataURL === "string");
    }
    for (const child of node.childNodes ?? []) visit(child);
  };
  for (const event of events) {
    if (event.type === EventType.FullSnapshot) visit(event.data.node as unknown as SerializedNode);
    if (event.type !== EventType.IncrementalSnapshot) continue;
    if (event.data.source === IncrementalSource.Mutation) {
      for (const add of event.data.adds) visit(add.node as unknown as SerializedNode);
      for (const change of event.data.attributes) {
        if (drawn.has(change.id) && typeof (change.attributes as Record<string, unknown>).rr_dataURL === "string") drawn.set(change.id, true);
      }
    } else if (event.data.source === IncrementalSource.CanvasMutation) {
      drawn.set(event.data.id, true);
    }
  }
  return new Set([...drawn].filter(([, wasDrawn]) => !wasDrawn).map(([id]) => id));
}

/** What a reader is told about content the replay shows blank; empty when the clip has none. */
export function unreplayableContent(events: readonly eventWithTime[]): UnreplayableContent[] {
  const blank = blankCanvasIds(events).size;
  if (blank === 0) return [];
  const which = blank === 1 ? "a canvas" : `${blank} canvases`;
  return [
    {
      kind: "canvas",
      elements: blank,
      note: `this page has ${which} that the replay shows blank: canvas and WebGL drawing comes from the page's scripts, which the replay does not run, and the recording kept none of it`,
    },
  ];
}
