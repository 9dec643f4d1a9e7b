import { EventType, IncrementalSource, MouseInteractions, NodeType } from "@rrweb/types";
import type { eventWithTime } from "@rrweb/types";

/** Minimal but valid rrweb events for reader tests (the sample dataset builder makes realistic ones). */
export const rr = {
  meta: (timestamp: number, href = "https://shop.test/", width = 1280, height = 800): eventWithTime => ({
    type: EventType.Meta,
    timestamp,
    data: { href, width, height },
  }),
  fullSnapshot: (timestamp: number, bodyText = "hello"): eventWithTime => ({
    type: EventType.FullSnapshot,
    timestamp,
    data: {
      node: {
        type: NodeType.Document,
        id: 1,
        childNodes: [
          {
            type: NodeType.Element,
            id: 2,
            tagName: "html",
            attributes: {},
            childNodes: [
              {
                type: NodeType.Element,
                id: 3,
                tagName: "body",
                attributes: {},
                childNodes: [{ type: NodeType.Text, id: 4, textContent: bodyText }],
              },
            ],
          },
        ],
      },
      initialOffset: { top: 0, left: 0 },
    },
  }),
  mutation: (timestamp: number, text = "changed"): eventWithTime => ({
    type: EventType.IncrementalSnapshot,
    timestamp,
    data: { source: IncrementalSource.Mutation, texts: [{ id: 4, value: text }], attributes: [], removes: [], adds: [] },
  }),
  mouseMove: (timestamp: number, points = 3): eventWithTime => ({
    type: EventType.IncrementalSnapshot,
    timestamp,
    data: {
      source: IncrementalSource.MouseMove,
      positions: Array.from({ length: points }, (_, i) => ({ x: i, y: i, id: 3, timeOffset: 0 - i })),
    },
  }),
  click: (timestamp: number): eventWithTime => ({
    type: EventType.IncrementalSnapshot,
    timestamp,
    data: { source: IncrementalSource.MouseInteraction, type: MouseInteractions.Click, id: 3, x: 1, y: 1 },
  }),
  input: (timestamp: number, text: string): eventWithTime => ({
    type: EventType.IncrementalSnapshot,
    timestamp,
    data: { source: IncrementalSource.Input, id: 3, text, isChecked: false },
  }),
};

export function snapshotLine(windowId: string, events: unknown[]): string {
  return JSON.stringify({ window_id: windowId, data: events });
}
