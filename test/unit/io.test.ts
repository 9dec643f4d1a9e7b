import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { InputError } from "../../src/domain/errors.ts";
import { ReadWarnings } from "../../src/domain/warnings.ts";
import { jsonArrayUnderKey, splitJsonArray } from "../../src/io/json-array.ts";
import { readJsonl } from "../../src/io/jsonl.ts";
import { splitLines } from "../../src/io/lines.ts";
import { openInput } from "../../src/io/open.ts";

async function* chunked(bytes: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let offset = 0;
  let i = 0;
  while (offset < bytes.length) {
    const size = sizes[i++ % sizes.length]!;
    yield bytes.subarray(offset, offset + size);
    offset += size;
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<InputError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error("expected a rejection");
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ss-io-"));
});

describe("splitLines", () => {
  const text = 'first\r\n\n  \n{"emoji":"héllo ✓ 👋"}\nlast-without-newline';
  const expected = [
    { text: "first", lineNo: 1 },
    { text: '{"emoji":"héllo ✓ 👋"}', lineNo: 4 },
    { text: "last-without-newline", lineNo: 5 },
  ];

  it.each([[[1]], [[2, 3]], [[7]], [[1000]]])("gives the same lines for chunk sizes %j", async (sizes) => {
    // Chunks of 1-3 bytes split multi-byte characters and CRLF pairs across chunk boundaries.
    const lines = await collect(splitLines(chunked(Buffer.from(text), sizes), "mem"));
    expect(lines).toEqual(expected);
  });
});

describe("openInput", () => {
  it("names a missing file", async () => {
    const error = await rejection(openInput(path.join(dir, "nope.jsonl")));
    expect(error.code).toBe("file_not_found");
    expect(error.message).toContain("nope.jsonl");
  });

  it("refuses a 0-byte file", async () => {
    const file = path.join(dir, "empty.jsonl");
    await writeFile(file, "");
    const error = await rejection(openInput(file));
    expect(error.code).toBe("empty_file");
    expect(error.location.file).toBe(file);
  });

  it("gunzips by magic bytes, whatever the name", async () => {
    const file = path.join(dir, "looks-plain.jsonl");
    await writeFile(file, gzipSync("a\nb\n"));
    const input = await openInput(file);
    expect(input.gzip).toBe(true);
    expect((await collect(splitLines(input.chunks, file))).map((l) => l.text)).toEqual(["a", "b"]);
  });

  it("drops a UTF-8 byte order mark, even when it arrives split across chunks", async () => {
    const file = path.join(dir, "bom.jsonl");
    await writeFile(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"id":1}\n{"id":2}\n')]));
    const rows = await collect(readJsonl(file, z.object({ id: z.number() })));
    expect(rows).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it("reports a truncated gzip with the line it stopped after", async () => {
    const file = path.join(dir, "truncated.jsonl.gz");
    const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ i, pad: "x".repeat(40 + (i % 13)) }));
    const gz = gzipSync(lines.join("\n"));
    await writeFile(file, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const input = await openInput(file);
    const seen: number[] = [];
    const error = await rejection(
      (async () => {
        for await (const line of splitLines(input.chunks, file)) seen.push(line.lineNo);
      })(),
    );
    expect(error.code).toBe("corrupt_gzip");
    expect(error.location.file).toBe(file);
    expect(error.location.line).toBe(seen.length + 1);
    expect(error.message).toMatch(/stopped after line \d+/);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(5000);
  });
});

describe("splitJsonArray", () => {
  const items = [
    { type: 4, data: { href: "https://x.test/?q={]}" }, timestamp: 1 },
    { type: 3, data: { text: 'quote " and \\ backslash \\" and [brackets] {braces}' }, timestamp: 2 },
    { type: 5, data: { nested: [[{ a: [] }], {}] }, timestamp: 3 },
  ];
  const bytes = Buffer.from(`  [\n${items.map((item) => JSON.stringify(item)).join(" ,\n")}\n]\n`);

  it.each([[[1]], [[3, 5]], [[64]], [[1 << 16]]])("splits elements for chunk sizes %j", async (sizes) => {
    const out = await collect(splitJsonArray(chunked(bytes, sizes), "mem"));
    expect(out.map((item) => JSON.parse(item.text))).toEqual(items);
    expect(out.map((item) => item.index)).toEqual([0, 1, 2]);
  });

  it.each([
    ["truncated", bytes.subarray(0, bytes.length - 10), /truncated/],
    ["not an array", Buffer.from('{"type":1}'), /does not start with/],
    ["data after the end", Buffer.from("[{}] {}"), /after the closing/],
    ["a scalar element", Buffer.from("[{}, 3]"), /expected an object/],
  ])("refuses %s", async (_name, input, message) => {
    const error = await rejection(collect(splitJsonArray(chunked(input, [4]), "broken.json")));
    expect(error.code).toBe("invalid_json_array");
    expect(error.message).toMatch(message);
    expect(error.message).toContain("broken.json");
  });
});

describe("jsonArrayUnderKey", () => {
  const body = {
    next: 'cursor "}]{ with \\ and \u00e9',
    meta: { nested: [{ deep: ["]", "}"] }], n: -1.5e3, ok: true, none: null },
    'snap"shots': [{ decoy: 1 }],
    snapshots: [
      { type: 4, timestamp: 1, data: { href: "a]" } },
      { type: 2, timestamp: 2, data: {} },
    ],
    after: [1, 2, { x: "]" }],
  };
  const text = Buffer.from(JSON.stringify(body, null, 1));

  it.each([[[1]], [[2, 5]], [[64]], [[100_000]]])("finds the array under the key for chunk sizes %j", async (sizes) => {
    const items = await collect(splitJsonArray(jsonArrayUnderKey(chunked(text, sizes), "mem", "snapshots"), "mem"));
    expect(items.map((item) => JSON.parse(item.text))).toEqual(body.snapshots);
  });

  it.each([
    ['{"a": 1}', /no "snapshots" array \(its keys: a\)/],
    ["{}", /no "snapshots" array \(it is empty\)/],
    ['{"snapshots": {"a": 1}}', /"snapshots" is not an array/],
    ['{"snapshots": []} {"snapshots": []}', /one JSON object was expected/],
    ['{"snapshots": [], "next": ', /truncated/],
    ['{"a" 1}', /expected ':'/],
  ])("refuses %s", async (input, problem) => {
    const error = await rejection(collect(jsonArrayUnderKey(chunked(Buffer.from(input), [3]), "mem", "snapshots")));
    expect(error.code).toBe("invalid_json_object");
    expect(error.message).toMatch(problem);
  });
});

describe("readJsonl", () => {
  const Row = z.object({ id: z.number() });

  it("skips a non-JSON line and a wrong-shaped line with counted warnings, and reads the rest", async () => {
    const file = path.join(dir, "mixed.jsonl");
    await writeFile(file, '{"id":1}\nnot json\n{"id":"two"}\n{"id":3}\n');
    const warnings = new ReadWarnings();
    const rows = await collect(readJsonl(file, Row, { warnings, noun: "row" }));
    expect(rows).toEqual([{ id: 1 }, { id: 3 }]);
    expect(warnings.total).toBe(2);
    expect(warnings.kept.map((w) => [w.line, w.code])).toEqual([
      [2, "invalid_json"],
      [3, "invalid_row"],
    ]);
    expect(warnings.kept[1]!.problem).toContain("id");
  });

  it("fails, rather than returning nothing, when no line is valid", async () => {
    const file = path.join(dir, "all-bad.jsonl");
    await writeFile(file, "nope\n[1,2]\n");
    const error = await rejection(collect(readJsonl(file, Row, { noun: "row" })));
    expect(error.code).toBe("no_valid_rows");
    expect(error.message).toContain("all-bad.jsonl");
    expect(error.message).toContain("invalid_json x1");
  });
});
