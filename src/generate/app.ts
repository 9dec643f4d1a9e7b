import type { Persona } from "./persona.ts";

/**
 * What the scripted-users generator needs from a demo app: a server to start, how a visit switches
 * its bugs on, the people who use it, and which of its bugs may be added as background noise. Each
 * app folder under `examples/` exports one (`examples/<app>/app.ts`); the CLI loads it by name, so
 * nothing here depends on any one app.
 *
 * An app's pages must keep a visit log readable as `window.visitLog.marks()` (see `BrowserMark`):
 * `page`, `click` and `submit` marks at least, `widget-error` marks (with `detail.widget`) for the
 * benign noise it declares, by the browser clock.
 */
export interface DemoApp {
  /** The name `generate --app` takes, e.g. `shop`. */
  name: string;
  /** The product's name, for progress lines and docs. */
  title: string;
  /** posthog project token the app's posthog-js sends with every event. */
  token: string;
  /** Written into `labels.json` as the labels' `source` (besides the generator and the seed). */
  labelSource: Readonly<Record<string, string>>;
  start(options: { captureUrl: string; token: string }): Promise<RunningDemoApp>;
  /** The first URL of a visit to `path` with these bugs switched on. */
  visitUrl(appUrl: string, path: string, issues: readonly string[]): string;
  personas: readonly Persona[];
  cast: CastOptions;
  /** Bugs that crash a widget harmlessly on every page, by issue name: labelled when a session has them. */
  benignWidgets: Readonly<Record<string, BenignWidget>>;
}

export interface RunningDemoApp {
  url: string;
  close(): Promise<void>;
}

/** How a run's sessions are drawn from the personas (see `planSessions`). */
export interface CastOptions {
  /** Share of sessions that are happy paths. */
  happyShare: number;
  /** Chance that an issue session also carries one of the noise issues. */
  noiseChance: number;
  /** Issues added as background noise (benign widget crashes). */
  noiseIssues: readonly string[];
}

/** A widget crash nobody notices: the visit log's `widget-error` mark names the widget. */
export interface BenignWidget {
  widget: string;
  patternKey: string;
  description: string;
}
