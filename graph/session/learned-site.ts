import type { LearnedSiteData } from "../../src/analysts/index.ts";
import { PipelineError } from "../../src/runtime/errors.ts";
import type { PipelineRuntime } from "../../src/runtime/runtime.ts";
import type { LearnedSiteRef } from "./state.ts";

/** The learned site a session's summary is made with; a vanished blob fails that session (resuming learns nothing new: the key is in state). */
export async function loadLearnedSite(runtime: PipelineRuntime, ref: LearnedSiteRef): Promise<LearnedSiteData> {
  const data = await runtime.blobs.getJson<LearnedSiteData>(ref.key);
  if (!data) throw new PipelineError("learned_site_missing", `the learned site ${ref.key} is missing from ${runtime.blobs.description}`);
  return data;
}
