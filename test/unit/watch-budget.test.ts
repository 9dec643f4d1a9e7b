import { describe, expect, it } from "vitest";
import { BudgetError, capCheck, costOf, DEFAULT_PRICES, estimate, modelKey, parsePriceTable, withPrices } from "../../src/watch/budget.ts";

const OPENAI = { summarizer: "openai:gpt-4.1-mini", reasoner: "openai:gpt-4.1", vision: "openai:gpt-4.1-mini", chat: "openai:gpt-4.1-mini" };
const OFFLINE = { summarizer: { provider: "heuristic" as const, model: "offline" }, reasoner: "heuristic", vision: "offline analyst" };

describe("prices", () => {
  it("has a price for every default model of the README's Models section", () => {
    for (const key of ["openai:gpt-4.1", "openai:gpt-4.1-mini", "openai:o4-mini", "google-genai:gemini-2.5-flash", "google-genai:gemini-2.5-pro"]) expect(DEFAULT_PRICES[key], key).toBeDefined();
  });

  it("names models the same however they are written", () => {
    expect(modelKey("openai:GPT-4.1-2025-04-14")).toBe("openai:gpt-4.1");
    expect(modelKey("openai:gpt-4.1 @ llm.internal:8000")).toBe("openai:gpt-4.1");
    expect(modelKey({ provider: "google-genai", model: "gemini-2.5-flash" })).toBe("google-genai:gemini-2.5-flash");
    expect(modelKey("gemini:gemini-2.5-flash")).toBe("google-genai:gemini-2.5-flash");
    expect(modelKey("offline analyst")).toBeUndefined();
    expect(modelKey({ provider: "heuristic", model: "offline" })).toBeUndefined();
  });

  it("takes an override table from configuration, checked", () => {
    const table = withPrices(parsePriceTable({ "openai:gpt-4.1": { input: 1, output: 2 }, "openai:llama3.1:8b": { input: 0, output: 0 } }));
    expect(table["openai:gpt-4.1"]).toEqual({ input: 1, output: 2 });
    expect(table["openai:gpt-4.1-mini"]).toEqual(DEFAULT_PRICES["openai:gpt-4.1-mini"]);
    expect(() => parsePriceTable({ "gpt-4.1": { input: 1, output: 2 } })).toThrow(BudgetError);
    expect(() => parsePriceTable({ "openai:x": { input: -1, output: 2 } })).toThrow(/non-negative/);
    expect(() => parsePriceTable([])).toThrow(BudgetError);
  });
});

describe("costOf", () => {
  it("prices usage per role exactly", () => {
    const cost = costOf({ summarizer: { model_calls: 10, input_tokens: 1_000_000, output_tokens: 100_000 }, reasoner: { model_calls: 2, input_tokens: 200_000, output_tokens: 10_000 } }, OPENAI);
    // 1M × 0.40 + 0.1M × 1.60 + 0.2M × 2.00 + 0.01M × 8.00
    expect(cost).toEqual({ cost_usd: 0.4 + 0.16 + 0.4 + 0.08, offline: false, unpriced_models: [], approximate: false });
  });

  it("prices a total at the dearest model and says it is approximate when roles differ", () => {
    expect(costOf({ model_calls: 3, input_tokens: 1_000_000, output_tokens: 1_000_000 }, OPENAI)).toEqual({ cost_usd: 10, offline: false, unpriced_models: [], approximate: true });
    expect(costOf({ model_calls: 3, input_tokens: 1_000_000, output_tokens: 0 }, { summarizer: "openai:gpt-4.1-mini", reasoner: "openai:gpt-4.1-mini" }).approximate).toBe(false);
  });

  it("costs 0 for the offline analyst and says so; names models it has no price for", () => {
    expect(costOf({ model_calls: 0, input_tokens: 0, output_tokens: 0 }, OFFLINE)).toEqual({ cost_usd: 0, offline: true, unpriced_models: [], approximate: false });
    const local = costOf({ summarizer: { model_calls: 1, input_tokens: 5000, output_tokens: 500 } }, { summarizer: "openai:llama3.1:8b @ localhost:11434" });
    expect(local).toMatchObject({ cost_usd: 0, offline: false, unpriced_models: ["openai:llama3.1:8b"] });
    expect(() => costOf({ model_calls: -1, input_tokens: 0, output_tokens: 0 }, OPENAI)).toThrow(BudgetError);
  });
});

describe("estimate", () => {
  it("counts one summarize call per session, a few pattern calls, and replay checks", () => {
    const e = estimate({ sessions: 1000, models: OPENAI, assumptions: { replayChecksPerSession: 0.1 } });
    expect(e.by_role.summarizer).toEqual({ model_calls: 1000, input_tokens: 8_000_000, output_tokens: 800_000 });
    // 1000 × 400 digest tokens over 147k of room: 3 extraction chunks, 1 combine, 8 assignment chunks.
    expect(e.by_role.reasoner!.model_calls).toBe(3 + 1 + 8);
    expect(e.by_role.vision!.model_calls).toBe(100);
    expect(e.model_calls).toBe(1000 + 12 + 100);
    expect(e.input_tokens).toBe(e.by_role.summarizer!.input_tokens + e.by_role.reasoner!.input_tokens + e.by_role.vision!.input_tokens);
    expect(e.cost_usd).toBeCloseTo(costOf(e.by_role, OPENAI).cost_usd, 6);
    expect(e.cost_usd).toBeGreaterThan(0);
    expect(e.offline).toBe(false);
  });

  it("grows with sessions and with measured tokens per session", () => {
    const small = estimate({ sessions: 10, models: OPENAI });
    const large = estimate({ sessions: 100, models: OPENAI });
    const heavy = estimate({ sessions: 100, models: OPENAI, assumptions: { inputTokensPerSession: 20_000 } });
    expect(large.cost_usd).toBeGreaterThan(small.cost_usd);
    expect(heavy.cost_usd).toBeGreaterThan(large.cost_usd);
    expect(estimate({ sessions: 0, models: OPENAI }).model_calls).toBe(0);
  });

  it("says the offline analyst makes no calls and costs nothing", () => {
    expect(estimate({ sessions: 500, models: OFFLINE })).toEqual({ sessions: 500, model_calls: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, offline: true, unpriced_models: [], by_role: {} });
  });

  it("refuses bad input", () => {
    expect(() => estimate({ sessions: -1, models: OPENAI })).toThrow(BudgetError);
    expect(() => estimate({ sessions: 1.5, models: OPENAI })).toThrow(BudgetError);
    expect(() => estimate({ sessions: 1, models: OPENAI, assumptions: { digestTokensPerSession: Number.NaN } })).toThrow(/digestTokensPerSession/);
  });
});

describe("capCheck", () => {
  it("allows work under the cap and stops at it, saying why", () => {
    const budget = { daily_usd: 5, daily_model_calls: 100 };
    expect(capCheck({ budget, spent: { cost_usd: 4, model_calls: 50 }, next: { cost_usd: 0.5, model_calls: 1 } })).toEqual({ allowed: true });
    expect(capCheck({ budget, spent: { cost_usd: 4.8, model_calls: 50 }, next: { cost_usd: 0.5, model_calls: 1 } })).toEqual({
      allowed: false,
      reason: "daily budget of $5.00 would be exceeded: $4.80 spent today, the next step costs about $0.50",
    });
    expect(capCheck({ budget, spent: { cost_usd: 5, model_calls: 50 }, next: { cost_usd: 0.01, model_calls: 1 } }).reason).toBe("daily budget of $5.00 reached ($5.00 spent today)");
    expect(capCheck({ budget, spent: { cost_usd: 1, model_calls: 100 }, next: { cost_usd: 0.01, model_calls: 1 } }).reason).toBe("daily limit of 100 model calls reached");
  });

  it("never stops work that costs nothing (the offline analyst), even at a cap of 0; no cap allows everything", () => {
    expect(capCheck({ budget: { daily_usd: 0, daily_model_calls: 0 }, spent: { cost_usd: 0, model_calls: 0 }, next: { cost_usd: 0, model_calls: 0 } })).toEqual({ allowed: true });
    expect(capCheck({ budget: {}, spent: { cost_usd: 1e6, model_calls: 1e6 }, next: { cost_usd: 1, model_calls: 1 } })).toEqual({ allowed: true });
    expect(() => capCheck({ budget: {}, spent: { cost_usd: -1, model_calls: 0 }, next: { cost_usd: 0, model_calls: 0 } })).toThrow(BudgetError);
  });
});
