import { Annotation } from "@langchain/langgraph";
import type { SessionSelection } from "../../src/domain/selection.ts";
import type { RawAssignment, RawPattern } from "../../src/domain/report.ts";
import { addUsage, NO_USAGE, type Usage } from "../../src/llm/analyst.ts";
import { mergeSessionResults, type LearnedSiteRef, type SessionResult } from "../session/state.ts";

/** The outcome of one pattern-stage chunk. */
export interface ChunkResult<T> {
  index: number;
  value?: T;
  error?: string;
}

/** Later results for a chunk replace earlier ones, so a resumed run does not count a chunk twice. */
export function mergeChunkResults<T>(current: ChunkResult<T>[], update: ChunkResult<T>[]): ChunkResult<T>[] {
  const byIndex = new Map(current.map((c) => [c.index, c]));
  for (const chunk of update) byIndex.set(chunk.index, chunk);
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/**
 * State of a report run. Summaries and the report itself live in the blob store; state holds their
 * keys, the small per-session results, the chunk plans and the (at most a few dozen) patterns.
 */
export const SummarizeState = Annotation.Root({
  report_id: Annotation<string>(),
  title: Annotation<string>(),
  focus_area: Annotation<string | undefined>(),
  /**
   * Sessions a pattern needs in this run; default `settings.minPatternSessions`. A monitor's sweep
   * asks for 1: its issues gather their sessions across sweeps (`min_issue_sessions`).
   */
  min_pattern_sessions: Annotation<number | undefined>(),
  /** Checked with `parseSelection` when the run starts (Studio passes it as typed). */
  selection: Annotation<SessionSelection>(),
  /** Session ids resolved from the selection, in report order. */
  session_ids: Annotation<string[]>({ reducer: (_, next) => next, default: () => [] }),
  /**
   * What `learn_site` learned about the site across the sessions (offline analyst only): its blob
   * key and content hash. Checkpointed, so a resumed run summarizes with the same knowledge.
   */
  learned_site: Annotation<LearnedSiteRef | undefined>(),
  session_results: Annotation<SessionResult[]>({ reducer: mergeSessionResults, default: () => [] }),
  /** Session ids per extraction chunk, packed by tokens. */
  extraction_chunks: Annotation<string[][]>({ reducer: (_, next) => next, default: () => [] }),
  extracted: Annotation<ChunkResult<RawPattern[]>[]>({ reducer: mergeChunkResults, default: () => [] }),
  /** The combined patterns, numbered 1..n. */
  patterns: Annotation<RawPattern[]>({ reducer: (_, next) => next, default: () => [] }),
  assignment_chunks: Annotation<string[][]>({ reducer: (_, next) => next, default: () => [] }),
  assigned: Annotation<ChunkResult<RawAssignment[]>[]>({ reducer: mergeChunkResults, default: () => [] }),
  /** Blob key of the finished report. */
  report_key: Annotation<string | undefined>(),
  usage: Annotation<Usage>({ reducer: addUsage, default: () => NO_USAGE }),
});
export type SummarizeStateType = typeof SummarizeState.State;
export type SummarizeStateUpdate = typeof SummarizeState.Update;

/** The narrow input of a pattern-stage worker, sent with `Send`. */
export interface ChunkTask {
  index: number;
  /** The chunk's sessions with the blob keys of their summaries. */
  summaries: Array<{ session_id: string; summary_key: string }>;
  focus_area?: string;
  /** Sessions a pattern needs (the run's `min_pattern_sessions`). */
  min_sessions?: number;
  /** For assignment: the combined patterns. */
  patterns?: RawPattern[];
  /**
   * For extraction: the run's only chunk, so its flagged events may be assigned in the same call
   * (when the analyst can and they fit one assignment prompt); the assignments go to `assigned` at
   * `MERGED_ASSIGNMENT_INDEX`.
   */
  alsoAssign?: boolean;
}
