import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../../src/config/env.ts";
import { parseApiKeys } from "../../src/config/server.ts";
import { DEFAULTS } from "../../src/config/defaults.ts";
import { ConfigError } from "../../src/domain/errors.ts";
import { ServerError } from "../../src/server/errors.ts";
import { isLoopback, resolveServerProjects } from "../../src/server/projects.ts";

const KEY_A = "key-of-project-a-0001";
const KEY_B = "key-of-project-b-0002";

describe("server settings from the environment", () => {
  it("defaults to loopback, port 8020, no keys", () => {
    const server = readConfig({}).server;
    expect(server).toMatchObject({
      host: "127.0.0.1",
      port: 8020,
      apiKeys: [],
      maxBodyBytes: DEFAULTS.server.maxBodyBytes,
      maxRunsPerProject: DEFAULTS.server.maxRunsPerProject,
      maxTurnsPerProject: 4,
    });
  });

  it("reads keys, port, host, body limit and run limit", () => {
    const server = readConfig({
      SESSION_SUMMARIES_API_KEYS: ` ${KEY_A}=shop , ${KEY_B}=blog,`,
      SESSION_SUMMARIES_PORT: "9000",
      SESSION_SUMMARIES_HOST: "0.0.0.0",
      SESSION_SUMMARIES_MAX_BODY_BYTES: "2048",
      SESSION_SUMMARIES_MAX_RUNS_PER_PROJECT: "3",
      SESSION_SUMMARIES_MAX_TURNS_PER_PROJECT: "7",
    }).server;
    expect(server.apiKeys).toEqual([
      { key: KEY_A, project: "shop" },
      { key: KEY_B, project: "blog" },
    ]);
    expect(server).toMatchObject({ host: "0.0.0.0", port: 9000, maxBodyBytes: 2048, maxRunsPerProject: 3, maxTurnsPerProject: 7 });
  });

  it.each([
    ["no equals sign", "justakeywithoutproject", /item 1 is not key=project/],
    ["a short key", "short=shop", /key of item 1 must be 12 to 256 characters/],
    ["a bad project name", `${KEY_A}=shop/../etc`, /project "shop\/..\/etc" must be 1 to 64/],
    ["a repeated key", `${KEY_A}=shop,${KEY_A}=blog`, /item 2 repeats a key/],
  ])("refuses %s, without printing the key", (_label, text, message) => {
    let caught: unknown;
    try {
      parseApiKeys(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain(KEY_A);
  });

  it("refuses a port out of range", () => {
    expect(() => readConfig({ SESSION_SUMMARIES_PORT: "70000" })).toThrow(/SESSION_SUMMARIES_PORT/);
  });
});

describe("resolveServerProjects", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "server-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("maps env keys to projects on the --dataset", async () => {
    const config = readConfig({ SESSION_SUMMARIES_API_KEYS: `${KEY_A}=shop,${KEY_B}=blog` });
    const resolved = await resolveServerProjects({ config, host: "0.0.0.0", dataset: "examples/dataset" });
    expect(resolved.projects).toEqual([
      { name: "shop", dataset: path.resolve("examples/dataset") },
      { name: "blog", dataset: path.resolve("examples/dataset") },
    ]);
    expect(resolved.auth.isOpen).toBe(false);
    expect(resolved.auth.projectOf(KEY_A)).toBe("shop");
    expect(resolved.auth.projectOf(KEY_B)).toBe("blog");
    expect(resolved.auth.projectOf("key-of-nobody-00000")).toBeUndefined();
    expect(resolved.auth.projectOf(undefined)).toBeUndefined();
    expect(resolved.notices).toEqual([]);
  });

  it("reads a --config file with datasets relative to it, plus env keys", async () => {
    const file = path.join(dir, "projects.json");
    await writeFile(file, JSON.stringify({ projects: { shop: { dataset: "data/shop", api_keys: [KEY_A] }, idle: { dataset: "/srv/idle" } } }));
    const config = readConfig({ SESSION_SUMMARIES_API_KEYS: `${KEY_B}=shop` });
    const resolved = await resolveServerProjects({ config, host: "127.0.0.1", configFile: file });
    expect(resolved.projects).toEqual([
      { name: "shop", dataset: path.join(dir, "data/shop") },
      { name: "idle", dataset: "/srv/idle" },
    ]);
    expect(resolved.auth.projectOf(KEY_A)).toBe("shop");
    expect(resolved.auth.projectOf(KEY_B)).toBe("shop");
    expect(resolved.notices.join("\n")).toMatch(/project idle has no API key/);
  });

  it.each([
    ["not JSON", "{projects", /not valid JSON/],
    ["an unknown field", JSON.stringify({ projects: {}, extra: 1 }), /Unrecognized key/],
    ["a short key", JSON.stringify({ projects: { shop: { dataset: "d", api_keys: ["short"] } } }), /projects.shop.api_keys.0: keys are 12 to 256/],
    ["a bad project name", JSON.stringify({ projects: { "a b": { dataset: "d" } } }), /project names are/],
  ])("refuses a config file with %s, naming the file", async (_label, text, message) => {
    const file = path.join(dir, `bad-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, text);
    const attempt = resolveServerProjects({ config: readConfig({}), host: "127.0.0.1", configFile: file });
    await expect(attempt).rejects.toThrow(message);
    await expect(attempt).rejects.toThrow(file);
  });

  it("refuses a missing config file and a key repeated across file and env", async () => {
    await expect(resolveServerProjects({ config: readConfig({}), host: "127.0.0.1", configFile: path.join(dir, "missing.json") })).rejects.toThrow(/cannot read the server config/);
    const file = path.join(dir, "dup.json");
    await writeFile(file, JSON.stringify({ projects: { shop: { dataset: "d", api_keys: [KEY_A] } } }));
    const attempt = resolveServerProjects({ config: readConfig({ SESSION_SUMMARIES_API_KEYS: `${KEY_A}=blog` }), host: "127.0.0.1", dataset: "d", configFile: file });
    await expect(attempt).rejects.toThrow(/API key is given twice/);
  });

  it("needs a dataset for env-key projects", async () => {
    const config = readConfig({ SESSION_SUMMARIES_API_KEYS: `${KEY_A}=shop` });
    await expect(resolveServerProjects({ config, host: "127.0.0.1" })).rejects.toThrow(/project "shop", which has no dataset: pass --dataset/);
  });

  it("without keys: one open local project on loopback, said loudly", async () => {
    const resolved = await resolveServerProjects({ config: readConfig({}), host: "127.0.0.1", dataset: "examples/sample" });
    expect(resolved.projects).toEqual([{ name: "local", dataset: path.resolve("examples/sample") }]);
    expect(resolved.auth.isOpen).toBe(true);
    expect(resolved.auth.projectOf(undefined)).toBe("local");
    expect(resolved.notices.join("\n")).toMatch(/WARNING: no API key configured/);
  });

  it("without keys: refuses any non-loopback address", async () => {
    const attempt = resolveServerProjects({ config: readConfig({}), host: "0.0.0.0", dataset: "examples/sample" });
    await expect(attempt).rejects.toBeInstanceOf(ServerError);
    await expect(attempt).rejects.toThrow(/refusing to serve on 0.0.0.0 without API keys/);
  });

  it("knows loopback addresses", () => {
    expect(["127.0.0.1", "127.1.2.3", "localhost", "::1"].every(isLoopback)).toBe(true);
    expect(["0.0.0.0", "::", "192.168.1.2", "127.0.0.1.evil.com"].some(isLoopback)).toBe(false);
  });
});
