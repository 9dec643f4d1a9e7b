import { z } from "zod";
import { ConfigError } from "../domain/errors.ts";
import { DEFAULTS } from "./defaults.ts";

/**
 * The only reader of `process.env`. Every setting the product reads from the environment is
 * declared here, parsed with zod, and given its default from `defaults.ts`.
 */

const booleanish = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off"])
  .transform((value) => ["1", "true", "yes", "on"].includes(value));

const EnvSchema = z.object({
  POSTHOG_HOST: z.url().default(DEFAULTS.posthog.host),
  POSTHOG_PROJECT_ID: z.string().min(1).optional(),
  POSTHOG_API_KEY: z.string().min(1).optional(),
  SESSION_SUMMARIES_REDACT_PII: booleanish.optional(),
  SESSION_SUMMARIES_CHROMIUM: z.string().min(1).optional(),
});

export interface PostHogConfig {
  host: string;
  projectId?: string;
  /** Personal API key. Never logged; `describeConfig` masks it. */
  apiKey?: string;
}

export interface AppConfig {
  posthog: PostHogConfig;
  redactPii: boolean;
  /** Path of the Chromium binary used to replay recordings. */
  chromiumPath: string;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new ConfigError("invalid_env", `invalid environment: ${details}`);
  }
  const e = parsed.data;
  return {
    posthog: { host: e.POSTHOG_HOST, projectId: e.POSTHOG_PROJECT_ID, apiKey: e.POSTHOG_API_KEY },
    redactPii: e.SESSION_SUMMARIES_REDACT_PII ?? DEFAULTS.encode.redactPii,
    chromiumPath: e.SESSION_SUMMARIES_CHROMIUM ?? DEFAULTS.render.chromiumPath,
  };
}
