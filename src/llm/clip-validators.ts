import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { eventWithTime } from "@rrweb/types";
import type { AppConfig } from "../config/env.ts";
import type { KeyAction } from "../domain/summary.ts";
import { judgeFromReplay, type DomVerdict } from "../validation/dom-validator.ts";
import { ClipVerdictSchema, formatValidateClip, type ClipMedia } from "../../prompts/validate-clip.ts";
import type { Usage } from "./analyst.ts";
import { describeModel, loadModel, resolveModelSpec, type LoadModelOptions } from "./models.ts";
import { callStructured, createUsage } from "./structured/call.ts";
import { callLimitsFor, type ModelCallLimits } from "./provider-limits.ts";

/** What a rendered clip shows about one flagged key action. */
export interface ClipEvidence {
  target: KeyAction;
  /** Epoch ms. */
  replayStartMs: number;
  recordingEndMs?: number;
  clip: { startMs: number; endMs: number };
  frames: readonly Buffer[];
  /** Epoch ms of each frame. */
  frameTimes: readonly number[];
  /** Visible page text at each frame. */
  texts: readonly string[];
  /** Fingerprint of the screen at each frame, the cursor left out. */
  screens?: readonly string[];
  video?: Buffer;
  /** The rrweb events the clip was replayed from. */
  events: readonly eventWithTime[];
  /** Header plus the rows of the session's events table inside the clip. */
  windowEvents: string;
}

/**
 * Judges whether a flagged problem stopped the user, from a rendered clip: the offline DOM rules,
 * or a vision model (`vision` role). `method` is recorded with every verdict.
 */
export interface ClipValidator {
  readonly method: string;
  /** The MP4 is needed by the validator itself (Gemini looks at video), not only for people. */
  readonly needsVideo: boolean;
  validate(evidence: ClipEvidence, onUsage: (usage: Usage) => void, signal?: AbortSignal): Promise<DomVerdict>;
}

/** The offline validator: evidence from the replayed DOM. */
export const domValidator: ClipValidator = {
  method: "dom",
  needsVideo: false,
  async validate(evidence, onUsage) {
    onUsage({ model_calls: 0, input_tokens: 0, output_tokens: 0 });
    return judgeFromReplay(
      {
        frameTimes: evidence.frameTimes,
        texts: evidence.texts,
        screens: evidence.screens,
        events: evidence.events,
        replayStartMs: evidence.replayStartMs,
        recordingEndMs: evidence.recordingEndMs,
      },
      evidence.replayStartMs + evidence.target.ms_since_start,
    );
  },
};

/** At most this many frames go to an image model: evenly spaced, always including the flagged moment. */
export const MAX_VISION_FRAMES = 16;

export function pickFrames(frameTimes: readonly number[], eventMs: number, max = MAX_VISION_FRAMES): number[] {
  if (frameTimes.length <= max) return frameTimes.map((_, i) => i);
  const picked = new Set<number>();
  for (let k = 0; k < max - 1; k++) picked.add(Math.round((k * (frameTimes.length - 1)) / (max - 2)));
  let nearest = 0;
  frameTimes.forEach((t, i) => {
    if (Math.abs(t - eventMs) < Math.abs(frameTimes[nearest]! - eventMs)) nearest = i;
  });
  picked.add(nearest);
  return [...picked].sort((a, b) => a - b);
}

/**
 * A vision model looks at the clip: Gemini gets the MP4 (it takes video), other providers get
 * frames as images. The answer is YAML checked against `ClipVerdictSchema` like every other stage.
 */
export class VisionClipValidator implements ClipValidator {
  constructor(
    private readonly model: BaseChatModel,
    readonly method: string,
    readonly needsVideo: boolean,
    private readonly timeoutMs: number,
    private readonly speed: number,
    /** Shared provider budgets of the vision model (with a queue). */
    private readonly limits?: ModelCallLimits,
  ) {}

  async validate(evidence: ClipEvidence, onUsage: (usage: Usage) => void, signal?: AbortSignal): Promise<DomVerdict> {
    const seconds = (ms: number) => (ms - evidence.replayStartMs) / 1000;
    const eventMs = evidence.replayStartMs + evidence.target.ms_since_start;
    let media: ClipMedia;
    if (this.needsVideo && evidence.video) {
      media = { kind: "video", base64: evidence.video.toString("base64"), mimeType: "video/mp4", speed: this.speed };
    } else {
      media = {
        kind: "frames",
        frames: pickFrames(evidence.frameTimes, eventMs).map((i) => ({ t: seconds(evidence.frameTimes[i]!), jpegBase64: evidence.frames[i]!.toString("base64") })),
      };
    }
    const usage = createUsage();
    try {
      const { value } = await callStructured({
        model: this.model,
        messages: formatValidateClip({
          flagged: { ...evidence.target, t: evidence.target.ms_since_start / 1000 },
          clip: { start: seconds(evidence.clip.startMs), end: seconds(evidence.clip.endMs) },
          windowEvents: evidence.windowEvents,
          media,
        }),
        schema: ClipVerdictSchema,
        role: "vision",
        label: `replay check of event ${evidence.target.event_id}`,
        timeoutMs: this.timeoutMs,
        signal,
        usage,
        limits: this.limits,
      });
      return { verdict: value.verdict, observed: value.observed, evidence: value.evidence };
    } finally {
      onUsage({ model_calls: usage.calls, input_tokens: usage.inputTokens, output_tokens: usage.outputTokens });
    }
  }
}

/** The configured validator: the `vision` role's model, or the offline DOM rules when it is `heuristic`. */
export function createClipValidator(config: AppConfig, options: LoadModelOptions = {}, speed = 8): ClipValidator {
  const model = loadModel("vision", config, options);
  if (!model) return domValidator;
  const spec = resolveModelSpec("vision", config, options.overrides);
  return new VisionClipValidator(model, `vision ${describeModel(spec)}`, spec.provider === "google-genai", config.modelCalls.timeoutMs, speed, callLimitsFor(spec, options.limits));
}
