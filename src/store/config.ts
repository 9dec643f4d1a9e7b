import { DEFAULTS } from "../config/defaults.ts";
import type { BlobStoreConfig, CheckpointerConfig } from "../config/stores.ts";
import { maskUrlPassword } from "./errors.ts";

export const DEFAULT_POSTGRES_SCHEMA: string = DEFAULTS.store.postgresSchema;

/** One line for logs and `--help` output; passwords in URLs are masked. */
export function describeBlobStore(config: BlobStoreConfig): string {
  const details: string[] = [];
  if (config.kind === "memory" && config.maxBytes !== undefined) details.push(`max ${config.maxBytes} bytes`);
  if (config.kind === "redis" && config.prefix) details.push(`prefix ${config.prefix}`);
  if (config.ttlSeconds !== undefined) details.push(`ttl ${config.ttlSeconds}s`);
  const where = config.kind === "filesystem" ? ` ${config.dir}` : config.kind === "redis" ? ` ${maskUrlPassword(config.url)}` : "";
  return `${config.kind}${where}${details.length > 0 ? ` (${details.join(", ")})` : ""}`;
}

export function describeCheckpointer(config: CheckpointerConfig): string {
  switch (config.kind) {
    case "memory":
      return "memory (not persisted)";
    case "sqlite":
      return `sqlite ${config.file}`;
    case "postgres":
      return `postgres ${maskUrlPassword(config.url)} (schema ${config.schema ?? DEFAULT_POSTGRES_SCHEMA})`;
  }
}
