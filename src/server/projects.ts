import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { type AppConfig } from "../config/env.ts";
import { API_KEY_PATTERN, PROJECT_NAME_PATTERN, type ApiKeyGrant } from "../config/server.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { describeIssues } from "../domain/errors.ts";
import { ApiKeyAuth } from "./auth.ts";
import { ServerError } from "./errors.ts";

/** A project the server serves: its name scopes threads, reports and blobs; its dataset is where its sessions come from. */
export interface ProjectSpec {
  name: string;
  /** Dataset directory (absolute). */
  dataset: string;
}

/**
 * The `--config` file: projects with their dataset and API keys. Dataset paths are relative to the
 * file. Example:
 * ```json
 * { "projects": { "shop": { "dataset": "examples/dataset", "api_keys": ["shop-key-change-me"] } } }
 * ```
 */
export const ServerConfigFileSchema = z.strictObject({
  projects: z.record(
    z.string(),
    z.strictObject({
      dataset: z.string().min(1),
      api_keys: z.array(z.string().regex(API_KEY_PATTERN, "keys are 12 to 256 characters without spaces, commas or =")).default([]),
    }),
  ),
});

export interface ServerProjects {
  projects: ProjectSpec[];
  auth: ApiKeyAuth;
  /** Lines to print at start-up (e.g. the loud warning of a keyless server). */
  notices: string[];
}

export interface ResolveProjectsOptions {
  config: AppConfig;
  /** `--config` file. */
  configFile?: string;
  /** `--dataset`: the dataset of projects from `SESSION_SUMMARIES_API_KEYS` (and of the keyless local project). */
  dataset?: string;
  host: string;
}

/**
 * Projects and keys from the `--config` file and `SESSION_SUMMARIES_API_KEYS`. With no key at all,
 * a server on loopback serves one local project without authentication (said loudly); on any other
 * address it refuses to start.
 */
export async function resolveServerProjects(options: ResolveProjectsOptions): Promise<ServerProjects> {
  const defaultDataset = options.dataset ?? options.config.datasetDir;
  const datasets = new Map<string, string>();
  const grants: ApiKeyGrant[] = [];
  if (options.configFile) {
    const file = await readConfigFile(options.configFile);
    const base = path.dirname(path.resolve(options.configFile));
    for (const [name, project] of Object.entries(file.projects)) {
      datasets.set(name, path.resolve(base, project.dataset));
      for (const key of project.api_keys) grants.push({ key, project: name });
    }
  }
  for (const grant of options.config.server.apiKeys) {
    if (!datasets.has(grant.project)) {
      if (!defaultDataset) {
        throw new ServerError(
          "invalid_config",
          `SESSION_SUMMARIES_API_KEYS names project ${JSON.stringify(grant.project)}, which has no dataset: pass --dataset <dir> (or set SESSION_SUMMARIES_DATASET), or list it in the --config file`,
          500,
        );
      }
      datasets.set(grant.project, path.resolve(defaultDataset));
    }
    grants.push(grant);
  }
  const keys = new Set<string>();
  for (const grant of grants) {
    if (keys.has(grant.key)) throw new ServerError("invalid_config", `an API key is given twice (for project ${JSON.stringify(grant.project)})`, 500);
    keys.add(grant.key);
  }

  if (grants.length > 0) {
    const withKeys = new Set(grants.map((grant) => grant.project));
    const notices = [...datasets.keys()].filter((name) => !withKeys.has(name)).map((name) => `warning: project ${name} has no API key: nobody can reach it`);
    return { projects: [...datasets].map(([name, dataset]) => ({ name, dataset })), auth: ApiKeyAuth.withKeys(grants), notices };
  }

  if (!isLoopback(options.host)) {
    throw new ServerError("invalid_config", `refusing to serve on ${options.host} without API keys: set SESSION_SUMMARIES_API_KEYS=key=project or pass --config <file>, or listen on 127.0.0.1`, 500);
  }
  const localDataset = defaultDataset ?? (datasets.size === 1 ? [...datasets.values()][0] : undefined);
  if (!localDataset) {
    throw new ServerError("invalid_config", "no dataset: pass --dataset <dir> (or set SESSION_SUMMARIES_DATASET), or --config <file> with projects and API keys", 500);
  }
  const project = DEFAULTS.server.localProject;
  return {
    projects: [{ name: project, dataset: path.resolve(localDataset) }],
    auth: ApiKeyAuth.open(project),
    notices: [
      'WARNING: no API key configured: every request on this machine gets project "local" without authentication.',
      "WARNING: set SESSION_SUMMARIES_API_KEYS=<key>=<project> or pass --config <file> before serving anyone else.",
    ],
  };
}

async function readConfigFile(file: string): Promise<z.infer<typeof ServerConfigFileSchema>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ServerError("invalid_config", `cannot read the server config ${file}: ${(error as Error).message}`, 500, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ServerError("invalid_config", `${file}: not valid JSON: ${(error as Error).message}`, 500, { cause: error });
  }
  const parsed = ServerConfigFileSchema.safeParse(json);
  if (!parsed.success) throw new ServerError("invalid_config", `${file}: ${describeIssues(parsed.error.issues)}`, 500);
  // Checked here rather than in the schema: zod's record-key error does not say what a name may be.
  for (const name of Object.keys(parsed.data.projects)) {
    if (!PROJECT_NAME_PATTERN.test(name)) {
      throw new ServerError("invalid_config", `${file}: project ${JSON.stringify(name)}: project names are 1 to 64 letters, digits, _ or -`, 500);
    }
  }
  return parsed.data;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}
