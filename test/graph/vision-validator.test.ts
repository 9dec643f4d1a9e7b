import { afterEach, describe, expect, it, vi } from "vitest";
import { createClipValidator, domValidator, pickFrames, type ClipEvidence } from "../../src/llm/clip-validators.ts";
import { ModelOutputError } from "../../src/llm/errors.ts";
import { readConfig } from "../../src/config/env.ts";
import type { KeyAction } from "../../src/domain/summary.ts";
import type { Usage } from "../../src/llm/analyst.ts";
import { stubFetch } from "../fakes/stub-fetch.ts";

const START = Date.parse("2026-11-20T10:00:00.000Z");

const openAi = (content: string) => ({
  id: "chatcmpl-test",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "gpt-4.1-mini",
  choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop", logprobs: null }],
  usage: { prompt_tokens: 900, completion_tokens: 40, total_tokens: 940 },
});

const gemini = (text: string) => ({
  candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP", index: 0 }],
  usageMetadata: { promptTokenCount: 1200, candidatesTokenCount: 30, totalTokenCount: 1230 },
});

const VERDICT = `verdict: confirmed
observed: "A red banner says 'Something went wrong' where the results should be."
evidence:
  - "t=12.5 s: banner 'Something went wrong'"
`;

const target: KeyAction = {
  event_id: "a1b2c3d4",
  description: "Search for mug failed with HTTP 500",
  exception: "blocking",
  confusion: false,
  abandonment: false,
  event_uuid: "0192-test",
  event: "$exception",
  timestamp: new Date(START + 12_000).toISOString(),
  ms_since_start: 12_000,
  event_index: 20,
};

/** 25 frames at 2 fps around the event, with distinct fake JPEG bytes, and a tiny fake MP4. */
function evidence(): ClipEvidence {
  const frameTimes = Array.from({ length: 25 }, (_, i) => START + 5_000 + i * 500);
  return {
    target,
    replayStartMs: START,
    recordingEndMs: START + 60_000,
    clip: { startMs: START + 5_000, endMs: START + 17_000 },
    frames: frameTimes.map((_, i) => Buffer.from(`\xff\xd8frame-${i}`, "latin1")),
    frameTimes,
    texts: frameTimes.map(() => "Search"),
    video: Buffer.from("\x00\x00\x00\x18ftypisomfake-mp4", "latin1"),
    events: [],
    windowEvents: "event_id\tindex\tt\tevent\na1b2c3d4\t20\t12.0\t$exception\tGET /api/search 500",
  };
}

const usages: Usage[] = [];
const onUsage = (u: Usage) => usages.push(u);

afterEach(() => {
  vi.unstubAllGlobals();
  usages.length = 0;
});

describe("vision validator wiring (stubbed fetch, no provider reached)", () => {
  it("sends OpenAI-style models the frames as images, with the window's events, and reads the YAML verdict", async () => {
    const config = readConfig({ OPENAI_API_KEY: "sk-test-0123456789abcdef" });
    const { fetch, requests } = stubFetch(openAi(VERDICT));
    const validator = createClipValidator(config, { fetch });
    expect(validator.method).toBe("vision openai:gpt-4.1-mini");
    expect(validator.needsVideo).toBe(false);

    const verdict = await validator.validate(evidence(), onUsage);
    expect(verdict).toEqual({ verdict: "confirmed", observed: expect.stringContaining("Something went wrong"), evidence: ["t=12.5 s: banner 'Something went wrong'"] });
    expect(usages).toEqual([{ model_calls: 1, input_tokens: 900, output_tokens: 40 }]);

    const body = JSON.stringify(requests[0]!.body);
    const images = body.match(/data:image\/jpeg;base64,/g) ?? [];
    // at most MAX_VISION_FRAMES (16) of the 25: 15 evenly spaced, plus the flagged moment's unless it is one of them
    expect(images.length).toBeGreaterThanOrEqual(15);
    expect(images.length).toBeLessThanOrEqual(16);
    expect(body).toContain("GET /api/search 500"); // the window's events
    expect(body).toContain("frame t=12.0 s"); // the flagged moment's frame is among them
    expect(body).not.toContain("video/mp4");
  });

  it("sends Gemini the MP4 as a video part with the window's events", async () => {
    const config = readConfig({ GOOGLE_API_KEY: "AIzaTest0123456789abcdefghijkl" });
    const { fetch, requests } = stubFetch(gemini(VERDICT.replace("confirmed", "not_confirmed")));
    vi.stubGlobal("fetch", fetch);
    const validator = createClipValidator(config);
    expect(validator.method).toBe("vision google-genai:gemini-2.5-flash");
    expect(validator.needsVideo).toBe(true);

    const verdict = await validator.validate(evidence(), onUsage);
    expect(verdict.verdict).toBe("not_confirmed");
    const body = requests[0]!.body as { contents: Array<{ parts: Array<{ text?: string; inlineData?: { mimeType: string; data: string } }> }> };
    const parts = body.contents.flatMap((c) => c.parts);
    const video = parts.find((p) => p.inlineData);
    expect(video!.inlineData!.mimeType).toBe("video/mp4");
    expect(Buffer.from(video!.inlineData!.data, "base64").toString("latin1")).toContain("ftypisom");
    expect(parts.some((p) => p.text?.includes("GET /api/search 500"))).toBe(true);
    expect(parts.some((p) => p.text?.includes("8x speed"))).toBe(true);
  });

  it("asks once more after a malformed answer, and fails with a typed error after two", async () => {
    const config = readConfig({ OPENAI_API_KEY: "sk-test-0123456789abcdef" });
    const repaired = stubFetch(openAi("verdict: maybe\nobserved: hmm"), openAi(VERDICT));
    const verdict = await createClipValidator(config, { fetch: repaired.fetch }).validate(evidence(), onUsage);
    expect(verdict.verdict).toBe("confirmed");
    expect(repaired.requests).toHaveLength(2);
    expect(JSON.stringify(repaired.requests[1]!.body)).toContain("could not be used");

    const broken = stubFetch(openAi("I think the user was blocked."));
    await expect(createClipValidator(config, { fetch: broken.fetch }).validate(evidence(), onUsage)).rejects.toBeInstanceOf(ModelOutputError);
    expect(broken.requests).toHaveLength(2);
  });

  it("is the offline DOM validator when no vision model is configured", () => {
    expect(createClipValidator(readConfig({}))).toBe(domValidator);
  });
});

describe("pickFrames", () => {
  it("keeps every frame of a short clip, and evenly spaced ones plus the flagged moment of a long one", () => {
    expect(pickFrames([1, 2, 3], 2, 16)).toEqual([0, 1, 2]);
    const times = Array.from({ length: 49 }, (_, i) => i * 500);
    const picked = pickFrames(times, 7_250, 16);
    expect(picked.length).toBeLessThanOrEqual(16);
    expect(picked[0]).toBe(0);
    expect(picked.at(-1)).toBe(48);
    expect(picked).toContain(14); // 7,000 ms is the nearest frame to 7,250
    expect([...picked].sort((a, b) => a - b)).toEqual(picked);
  });
});
