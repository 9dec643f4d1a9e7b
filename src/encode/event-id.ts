import { createHash } from "node:crypto";
import { EncodeError } from "./errors.ts";

export type HexHash = (input: string) => string;

export const sha256Hex: HexHash = (input) => createHash("sha256").update(input).digest("hex");

/** Hex characters of an event id: ~5 tokens, against ~50 for `session_id` + event uuid. */
export const EVENT_ID_LENGTH = 8;

// A real hash frees an id within a salt or two; this bound only stops a broken hash from looping forever.
const MAX_SALT = 1_000;

export interface AllocatedId {
  id: string;
  /** The same cells were allocated before: the row is an exact duplicate. */
  duplicate: boolean;
}

/**
 * Short ids for table rows: the first 8 hex characters of SHA-256 over a per-session scope and the
 * row's cells, joined by NUL (cells never contain NUL). Identical rows of one session get the same
 * id, which is how duplicates are found; the scope (the session id, never shown to the model) keeps
 * identical rows of different sessions apart, so ids cited across sessions in pattern prompts
 * rarely collide.
 * When two different rows meet on the same 8 characters, the later one is hashed again with a
 * counter prefix (`1\0`, `2\0`, ...) until its id is free, so ids stay unique and deterministic for
 * the same input in the same order.
 */
export class EventIdAllocator {
  private readonly cellsById = new Map<string, string>();

  constructor(
    private readonly hash: HexHash = sha256Hex,
    private readonly scope = "",
  ) {}

  allocate(cells: readonly string[]): AllocatedId {
    const key = (this.scope ? [this.scope, ...cells] : cells).join("\u0000");
    for (let salt = 0; salt <= MAX_SALT; salt += 1) {
      const id = this.hash(salt === 0 ? key : `${salt}\u0000${key}`).slice(0, EVENT_ID_LENGTH);
      const owner = this.cellsById.get(id);
      if (owner === undefined) {
        this.cellsById.set(id, key);
        return { id, duplicate: false };
      }
      if (owner === key) return { id, duplicate: true };
    }
    throw new EncodeError("event_id_exhausted", `no free event id after ${MAX_SALT} salted hashes`);
  }
}
