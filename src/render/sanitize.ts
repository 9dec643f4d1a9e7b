import { EventType, IncrementalSource, NodeType, type eventWithTime } from "@rrweb/types";

/**
 * `<link rel>` values with which a browser opens connections (DNS lookups, TCP, TLS, even whole
 * fetches) without a request that interception or a Content-Security-Policy ever sees.
 */
const CONNECTING_RELS = new Set(["preconnect", "dns-prefetch", "prefetch", "prerender", "preload", "modulepreload", "next"]);

/** A node of an rrweb snapshot as this module reads it (rrweb's own type is stricter than recorded data). */
export interface SerializedNode {
  id?: number;
  type?: number;
  tagName?: string;
  attributes?: Record<string, unknown>;
  childNodes?: SerializedNode[];
}

/** Frames and plugins: their `src` (or `data`) is navigated to, and Chromium connects before any request filter sees it. */
const NAVIGATING_ATTRIBUTES: Record<string, string> = { iframe: "src", frame: "src", embed: "src", object: "data" };

function connects(rel: unknown): boolean {
  return (
    typeof rel === "string" &&
    rel
      .toLowerCase()
      .split(/\s+/)
      .some((token) => CONNECTING_RELS.has(token))
  );
}

/** Drops the connecting attribute of hint links and frames in a serialized node tree (in place), remembering their ids; returns the URLs. */
function stripNode(node: SerializedNode | undefined, hintIds: Map<number, string>): string[] {
  if (!node) return [];
  const stripped: string[] = [];
  const tag = node.tagName?.toLowerCase() ?? "";
  const attribute = tag === "link" ? (connects(node.attributes?.rel) ? "href" : undefined) : NAVIGATING_ATTRIBUTES[tag];
  if (node.type === NodeType.Element && node.attributes && attribute) {
    if (node.id !== undefined) hintIds.set(node.id, attribute);
    if (attribute in node.attributes) {
      stripped.push(String(node.attributes[attribute]));
      delete node.attributes[attribute];
    }
  }
  for (const child of node.childNodes ?? []) stripped.push(...stripNode(child, hintIds));
  return stripped;
}

/**
 * The events with every connection hint (`<link rel=preconnect|dns-prefetch|prefetch|…>`) and
 * every frame or plugin source (`<iframe src>`, `<object data>`) made inert, in full snapshots and
 * in added nodes; an attribute mutation that gives such an element its URL loses it too. Events
 * without one are returned as they are; the others are copies.
 */
export function withoutConnectionHints(events: readonly eventWithTime[]): { events: eventWithTime[]; stripped: string[] } {
  const stripped: string[] = [];
  /** Ids of connecting elements seen so far → the attribute to keep them from. */
  const hintIds = new Map<number, string>();
  const out = events.map((event) => {
    if (event.type !== EventType.FullSnapshot && !(event.type === EventType.IncrementalSnapshot && event.data.source === IncrementalSource.Mutation)) return event;
    const text = JSON.stringify(event.data);
    if (!/"(rel|tagName)"\s*:/i.test(text) && !(hintIds.size > 0 && /"(href|src|data)"\s*:/i.test(text))) return event;
    const copy = structuredClone(event);
    if (copy.type === EventType.FullSnapshot) {
      stripped.push(...stripNode(copy.data.node as unknown as SerializedNode, hintIds));
    } else if (copy.type === EventType.IncrementalSnapshot && copy.data.source === IncrementalSource.Mutation) {
      for (const add of copy.data.adds) stripped.push(...stripNode(add.node as unknown as SerializedNode, hintIds));
      for (const change of copy.data.attributes) {
        const attributes = change.attributes as Record<string, unknown>;
        if (connects(attributes.rel)) hintIds.set(change.id, "href");
        const attribute = hintIds.get(change.id);
        if (attribute && attribute in attributes) {
          stripped.push(String(attributes[attribute]));
          delete attributes[attribute];
        }
      }
    }
    return copy;
  });
  return { events: out, stripped };
}
