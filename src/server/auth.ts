import { createHash, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler } from "express";
import { ServerError } from "./errors.ts";

/**
 * Which project a request may see. API keys map to projects; a request names its key in
 * `Authorization: Bearer <key>` or `x-api-key` (and, for the HTML report page only, `?key=`).
 * In `open` mode (no key configured, loopback only) every request belongs to one local project.
 */
export class ApiKeyAuth {
  /** sha256(key) → project; comparing digests keeps the lookup's timing independent of the key. */
  private readonly projectsByDigest = new Map<string, string>();

  private constructor(
    grants: ReadonlyArray<{ key: string; project: string }>,
    /** The project every request gets when no key is configured. */
    readonly openProject?: string,
  ) {
    for (const grant of grants) this.projectsByDigest.set(digest(grant.key), grant.project);
  }

  static withKeys(grants: ReadonlyArray<{ key: string; project: string }>): ApiKeyAuth {
    if (grants.length === 0) throw new ServerError("invalid_config", "no API key configured: use ApiKeyAuth.open() for a keyless local server", 500);
    return new ApiKeyAuth(grants);
  }

  /** No keys: every request is the given project. Only for a server listening on loopback. */
  static open(project: string): ApiKeyAuth {
    return new ApiKeyAuth([], project);
  }

  get isOpen(): boolean {
    return this.openProject !== undefined;
  }

  /** The projects reachable with some key (or the open project). */
  projects(): string[] {
    return this.openProject !== undefined ? [this.openProject] : [...new Set(this.projectsByDigest.values())];
  }

  /** The project of a key, or undefined for a missing or unknown key. */
  projectOf(key: string | undefined): string | undefined {
    if (this.openProject !== undefined) return this.openProject;
    if (!key) return undefined;
    const wanted = Buffer.from(digest(key), "hex");
    for (const [known, project] of this.projectsByDigest) {
      if (timingSafeEqual(Buffer.from(known, "hex"), wanted)) return project;
    }
    return undefined;
  }
}

function digest(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** The key a request presents: Bearer header, then `x-api-key`, then (when allowed) `?key=`. */
export function presentedKey(req: Request, allowQueryKey: boolean): string | undefined {
  const authorization = req.get("authorization");
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1] ?? "";
  }
  const header = req.get("x-api-key");
  if (header !== undefined) return header.trim();
  if (allowQueryKey) {
    const query = (req.query as Record<string, unknown>).key;
    if (typeof query === "string") return query;
  }
  return undefined;
}

/** Sets `res.locals.project` or answers 401. */
export function requireProject(auth: ApiKeyAuth, options: { allowQueryKey?: boolean } = {}): RequestHandler {
  return (req, res, next) => {
    const key = presentedKey(req, options.allowQueryKey ?? false);
    const project = auth.projectOf(key);
    if (project === undefined) {
      res.set("WWW-Authenticate", 'Bearer realm="session-summaries"');
      const how = options.allowQueryKey ? "Authorization: Bearer <key>, x-api-key: <key> or ?key=<key>" : "Authorization: Bearer <key> or x-api-key: <key>";
      next(key ? new ServerError("invalid_api_key", "the API key is not valid", 401) : new ServerError("missing_api_key", `an API key is required: send ${how}`, 401));
      return;
    }
    res.locals.project = project;
    next();
  };
}

/** The project `requireProject` resolved for this request. */
export function projectOf(res: { locals: Record<string, unknown> }): string {
  const project = res.locals.project;
  if (typeof project !== "string") throw new ServerError("internal_error", "route reached without authentication", 500);
  return project;
}
