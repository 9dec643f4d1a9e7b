import { createHash } from "node:crypto";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import pLimit from "p-limit";
import type { LearnedSiteData } from "../../../src/analysts/index.ts";
import type { AnalyticsEvent } from "../../../src/domain/events.ts";
import { ReadWarnings } from "../../../src/domain/warnings.ts";
import { blobKeys } from "../../../src/store/keys.ts";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import type { LearnedSiteRef } from "../../session/state.ts";
import type { SummarizeStateType, SummarizeStateUpdate } from "../state.ts";

/** The events learning reads: pages, the product's own events, and issue signals; the rest is left in the source. */
const READ_EVENTS: ReadonlySet<string> = new Set(["$pageview", "$screen", "$exception", "$rageclick", "$dead_click"]);

function isLearnedFrom(event: AnalyticsEvent): boolean {
  return READ_EVENTS.has(event.event) || !event.event.startsWith("$");
}

/** Content-addressed: the same knowledge gets the same key and hash, so the summary cache hits. */
export function learnedSiteRef(project: string, data: LearnedSiteData): LearnedSiteRef {
  const hash = createHash("sha256").update(JSON.stringify(data)).digest("hex").slice(0, 16);
  return { key: `${blobKeys.project(project)}/learned-sites/${hash}`, hash };
}

/**
 * Learns the site across the selected sessions before any is summarized, when the analyst's
 * session summaries are rules that use it (the offline analyst; a model reads each session on its
 * own, and the graph does not route here for it). Reads at most `maxSessionsToLearn` sessions, the
 * first in report order (the source's: newest first unless ids were given), `concurrency` at once;
 * a session that cannot be read is left out, never failing the run. The knowledge is stored by its
 * content hash and its reference kept in state, so a resumed run reuses it.
 */
export function makeLearnSiteNode(runtime: PipelineRuntime) {
  return async function learnSite(state: SummarizeStateType, config?: LangGraphRunnableConfig): Promise<SummarizeStateUpdate> {
    if (state.learned_site) return {}; // resumed run: learned already
    const analyst = runtime.analyst;
    const options = analyst.siteLearning;
    if (!options || !analyst.learnSite) return {};
    const sample = state.session_ids.slice(0, Math.max(0, options.maxSessionsToLearn));
    const sessions = await pLimit(Math.max(1, options.concurrency)).map(sample, async (sessionId) => {
      try {
        const events: AnalyticsEvent[] = [];
        for await (const event of runtime.source.streamEvents(sessionId, { warnings: new ReadWarnings(), signal: config?.signal })) {
          if (isLearnedFrom(event)) events.push(event);
        }
        return events;
      } catch (error) {
        if (config?.signal?.aborted) throw error;
        return undefined; // unreadable here: its own summary reports why
      }
    });
    const data = analyst.learnSite(sessions.filter((events): events is AnalyticsEvent[] => events !== undefined));
    const ref = learnedSiteRef(runtime.project, data);
    await runtime.blobs.putJson(ref.key, data);
    return { learned_site: ref };
  };
}
