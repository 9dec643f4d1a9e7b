import { happyBuyer } from "./happy-buyer.ts";
import type { Persona } from "../../../src/generate/persona.ts";

/**
 * A happy purchase on a shop whose chat or currency widget throws on every page. The session adds
 * the benign-exception label from the page's own log (see `labelBenignNoise` in session.ts).
 */
export const benignNoiseBuyer: Persona = {
  name: "benign-noise-buyer",
  summary: "Buys as on a good day while a widget throws on every page load (chat greeting or currency switcher); nothing visible.",
  kinds: ["benign_exception"],
  happy: false,
  variants: ["chat-widget", "currency-widget"],
  pages: happyBuyer.pages,
  setup: (variant) => ({ issues: [variant === "chat-widget" ? "chat-widget-crash" : "currency-widget-crash"], landing: "/" }),
  async run(context) {
    await happyBuyer.run({ ...context, variant: context.rng.pick(happyBuyer.variants.filter((v) => v !== "by-category")) });
  },
};
