import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { z } from "zod";
import { ValidationVerdictSchema, type RawKeyAction } from "../src/domain/summary.ts";
import { fenceUntrusted, UNTRUSTED_DATA_NOTICE } from "../src/encode/index.ts";
import { YAML_RULES } from "./common.ts";

/**
 * Seeing what the user saw: a clip of the replay around a flagged event (frames or a video) and
 * the events of that window → a verdict on whether the flagged problem really stopped the user.
 */

export const ClipVerdictSchema = z.object({
  verdict: ValidationVerdictSchema,
  /** What the screen showed, in a few sentences, on-screen error text quoted. */
  observed: z.string().trim().min(1).max(1024),
  evidence: z.array(z.string().trim().min(1).max(300)).max(10).default([]),
});
export type ClipVerdict = z.infer<typeof ClipVerdictSchema>;

export const VALIDATE_CLIP_SYSTEM = `You check one flagged problem of a web app session against what the user's screen showed. You get a short clip of the session replay (frames in time order with their times, or a video) and the analytics events of that window. The flagged event was marked as an error that stopped the user.

Decide from what is visible:
- confirmed: the screen shows the problem stopped the user: an error message, clicks that change nothing, a broken or empty page where content was expected, the user giving up or leaving.
- not_confirmed: the screen shows the user was not stopped: the flow went on normally, the error was never visible, or they reached the next step.
- inconclusive: the clip does not show enough (blank, static, cut off).
Ignore replay artefacts: mouse trails, fades, missing images, fonts or styles (the replay runs offline).

Output shape:
verdict: confirmed
observed: "What the user saw, 1-3 sentences, quoting on-screen error text exactly."
evidence:
  - "t=31.2 s: red banner 'Request failed, try again' under the Confirm booking button"
${YAML_RULES}`;

export interface ClipFrame {
  /** Seconds since the replay start, like the events table's `t`. */
  t: number;
  /** JPEG bytes, base64. */
  jpegBase64: string;
}

export type ClipMedia =
  | { kind: "frames"; frames: readonly ClipFrame[]; /** OpenAI image detail; `low` is ~85 tokens a frame but cannot read small text. */ detail?: "low" | "high" | "auto" }
  | { kind: "video"; base64: string; mimeType: string; /** Playback speed of the video, e.g. 8 for 8x. */ speed?: number };

export interface ValidateClipInput {
  flagged: Pick<RawKeyAction, "event_id" | "description" | "exception" | "confusion" | "abandonment"> & { t: number };
  /** The clip's span, seconds since the replay start. */
  clip: { start: number; end: number };
  /** Header plus the rows of the events table that fall in the clip (tab-separated, as encoded). */
  windowEvents: string;
  media: ClipMedia;
}

function flagsOf(flagged: ValidateClipInput["flagged"]): string {
  const flags = [flagged.exception ? `exception: ${flagged.exception}` : "", flagged.confusion ? "confusion" : "", flagged.abandonment ? "abandonment" : ""];
  return flags.filter(Boolean).join(", ") || "none";
}

type ContentBlock = Exclude<BaseMessage["content"], string>[number];

function mediaBlocks(media: ClipMedia): ContentBlock[] {
  if (media.kind === "video") {
    const speed = media.speed && media.speed !== 1 ? ` at ${media.speed}x speed` : "";
    return [
      { type: "text", text: `The clip as a video${speed}:` },
      { type: "video", mimeType: media.mimeType, data: media.base64 },
    ];
  }
  return media.frames.flatMap((frame): ContentBlock[] => [
    { type: "text", text: `frame t=${frame.t.toFixed(1)} s` },
    { type: "image_url", image_url: { url: `data:image/jpeg;base64,${frame.jpegBase64}`, detail: media.detail ?? "auto" } },
  ]);
}

export function formatValidateClip(input: ValidateClipInput): BaseMessage[] {
  const { flagged, clip } = input;
  const text =
    `${UNTRUSTED_DATA_NOTICE}\n\n` +
    `Flagged event ${flagged.event_id} at t=${flagged.t.toFixed(1)} s (${flagsOf(flagged)}):\n${fenceUntrusted("flagged", flagged.description)}\n\n` +
    `Clip: t=${clip.start.toFixed(1)} s to t=${clip.end.toFixed(1)} s. Events in it:\n${fenceUntrusted("events", input.windowEvents)}`;
  return [
    new SystemMessage(VALIDATE_CLIP_SYSTEM),
    new HumanMessage({
      content: [{ type: "text", text }, ...mediaBlocks(input.media), { type: "text", text: "Write the YAML verdict." }],
    }),
  ];
}
